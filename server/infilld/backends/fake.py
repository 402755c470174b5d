"""A deterministic stand-in for the model, shipped in the package for fast tests and demos.

It behaves like a tiny copy model: for a FIM prompt it finds the longest tail of the text before the
cursor that also occurs elsewhere in the prompt (repository context, suffix, earlier code) and
continues with what followed it there. It emulates the parts of llama.cpp the engine relies on: a
tokenizer with special tokens, a KV cache that keeps the longest common token prefix, per-token
cancellation, deadlines and stop tokens. `INFILLD_FAKE_DELAY_MS` slows each token (cancellation tests);
`INFILLD_FAKE_LOAD_S` makes loading take time (progress tests).
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import time
from collections.abc import Callable
from typing import TypeVar

from infilld.backends.base import (
    GenerationRequest,
    GenerationResult,
    OwnerThread,
    Prompt,
    Special,
    StopReason,
)

T = TypeVar("T")
_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
_END = Special("<|endoftext|>")


def _tokens(prompt: Prompt) -> list[str]:
    out: list[str] = []
    for piece in prompt:
        if isinstance(piece, Special):
            out.append(piece.name)
        else:
            out.extend(_TOKEN_RE.findall(piece))
    return out


class FakeBackend:
    """Deterministic backend; see the module docstring."""

    name = "fake"

    def __init__(self, delay_ms: float | None = None, load_s: float | None = None) -> None:
        self._owner = OwnerThread("infilld-fake")
        self._delay = (
            delay_ms
            if delay_ms is not None
            else float(os.environ.get("INFILLD_FAKE_DELAY_MS", "0"))
        ) / 1000
        self._load_s = (
            load_s if load_s is not None else float(os.environ.get("INFILLD_FAKE_LOAD_S", "0"))
        )
        self._cache: list[str] = []
        self.loaded = False

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        return self._owner.submit(fn)

    def load(self, progress: Callable[[float, str], None] | None = None) -> None:
        steps = 5
        for i in range(steps):
            if progress:
                progress(i / steps, "loading fake model")
            time.sleep(self._load_s / steps)
        self.loaded = True
        if progress:
            progress(1.0, "fake model ready")

    def count_tokens(self, text: str) -> int:
        return len(_TOKEN_RE.findall(text))

    def prefill(self, prompt: Prompt) -> int:
        tokens = _tokens(prompt)
        evaluated = len(tokens) - _common_prefix(self._cache, tokens)
        self._cache = tokens
        return evaluated

    def generate(self, request: GenerationRequest) -> GenerationResult:
        start = time.monotonic()
        tokens = _tokens(request.prompt)
        evaluated = self.prefill(request.prompt)
        prompt_ms = (time.monotonic() - start) * 1000
        answer = _continue(request.prompt)
        out: list[str] = []
        reason = StopReason.STOP_TOKEN
        pieces = [*_TOKEN_RE.findall(answer), _END.name]
        for i, tok in enumerate(pieces):
            if request.cancel.is_set():
                reason = StopReason.CANCELLED
                break
            if request.deadline is not None and time.monotonic() >= request.deadline:
                reason = StopReason.DEADLINE
                break
            if i >= request.max_tokens:
                reason = StopReason.MAX_TOKENS
                break
            if self._delay:
                time.sleep(self._delay)
            if tok in request.stop_specials or tok == _END.name:
                reason = StopReason.STOP_TOKEN
                break
            out.append(tok)
            if request.should_stop is not None and request.should_stop("".join(out)):
                reason = StopReason.CALLER
                break
        self._cache = tokens + out
        return GenerationResult(
            text="".join(out),
            stop_reason=reason,
            prompt_tokens=len(tokens),
            evaluated_tokens=evaluated,
            generated_tokens=len(out),
            prompt_ms=prompt_ms,
            total_ms=(time.monotonic() - start) * 1000,
        )

    def close(self) -> None:
        self._owner.shutdown()


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _continue(prompt: Prompt) -> str:
    """The copy model: continue the text before the cursor with what followed it elsewhere."""
    sections: dict[str, str] = {}
    current = "context"
    for piece in prompt:
        if isinstance(piece, Special):
            if piece.name == "<|fim_prefix|>":
                current = "prefix"
            elif piece.name == "<|fim_suffix|>":
                current = "suffix"
            elif piece.name == "<|fim_middle|>":
                current = "middle"
            elif current == "context":
                sections["context"] = sections.get("context", "") + "\n"
            continue
        sections[current] = sections.get(current, "") + piece
    left = sections.get("prefix", "") + sections.get("middle", "")
    suffix = sections.get("suffix", "")
    corpus = sections.get("context", "") + "\n" + suffix + "\n" + left[:-1]
    line_start = left.rfind("\n") + 1
    partial = left[line_start:]
    # Longest tail of the text before the cursor (at least the indentation-stripped partial line,
    # or the previous line when the current one is empty) that occurs earlier in the corpus.
    for k in range(min(len(left), 400), 2, -1):
        needle = left[-k:]
        if not needle.strip():
            continue
        at = corpus.find(needle)
        if at < 0:
            continue
        rest = corpus[at + k :]
        # Copy to the end of that line; when the cursor sits at the start of an empty line, copy
        # the next line too (a small multi-line suggestion).
        lines = rest.split("\n")
        if partial.strip():
            return lines[0]
        return "\n".join(lines[:2]) if lines and not lines[0] else lines[0]
    return ""
