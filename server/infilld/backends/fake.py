"""A deterministic stand-in for the model, shipped in the package for fast tests and demos.

It behaves like a tiny copy model: for a FIM prompt it finds the longest tail of the text before the
cursor that also occurs elsewhere in the prompt (repository context, suffix, earlier code) and
continues with what followed it there. It emulates the parts of llama.cpp the engine relies on: a
tokenizer with special tokens, a KV cache that keeps the longest common token prefix, per-token
cancellation, deadlines and stop tokens, chunked prefill that stops when cancelled, and saved
per-file KV states (the same `KVStateStore` bookkeeping as the llama backend).
`INFILLD_FAKE_DELAY_MS` slows each generated token and `INFILLD_FAKE_PREFILL_MS` each prefill chunk
(cancellation tests); `INFILLD_FAKE_LOAD_S` makes loading take time (progress tests).
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import threading
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
from infilld.backends.kvstate import REUSE_MIN_RUN, KVStateStore, plan_reuse

# Tokens per prefill chunk (cancellation is checked between chunks, as in the llama backend).
PREFILL_CHUNK = 16

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
        self._key: str | None = None  # the file the live cache belongs to
        self.states: KVStateStore[list[str]] = KVStateStore()
        self.loaded = False
        self.prefills = 0  # prefill calls (background work), for tests
        # Seconds per prefill chunk (tests of cancelling a slow background prefill).
        self.prefill_chunk_delay = float(os.environ.get("INFILLD_FAKE_PREFILL_MS", "0")) / 1000

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

    def prefill(
        self, prompt: Prompt, cancel: threading.Event | None = None, cache_key: str | None = None
    ) -> int:
        self.prefills += 1
        return self._evaluate(_tokens(prompt), cancel, cache_key)

    def hand_over_cache(self, from_key: str, to_key: str) -> None:
        self._key = self.states.hand_over(self._key, from_key, to_key)

    def holds_prefix(self, key: str, prompt: Prompt) -> bool:
        return self.states.holds_prefix(self._key, self._cache, key, _tokens(prompt))

    def _evaluate(
        self, tokens: list[str], cancel: threading.Event | None, cache_key: str | None
    ) -> int:
        """Bring the emulated KV cache to `tokens`; returns the tokens evaluated."""
        found = self.states.switch(
            self._key, self._cache, cache_key, tokens, lambda: (list(self._cache), len(self._cache))
        )
        if found is not None:
            self._cache = list(found[1].blob)
        self._key = cache_key
        # Like the llama backend: the common prefix, then cached runs moved into place.
        common = plan_reuse(self._cache, tokens, REUSE_MIN_RUN).reused
        self._cache = tokens[:common]
        done = common
        while done < len(tokens):
            if cancel is not None and cancel.is_set():
                break
            if self.prefill_chunk_delay:
                time.sleep(self.prefill_chunk_delay)
            done = min(len(tokens), done + PREFILL_CHUNK)
            self._cache = tokens[:done]
        return done - common

    def generate(self, request: GenerationRequest) -> GenerationResult:
        start = time.monotonic()
        tokens = _tokens(request.prompt)
        evaluated = self._evaluate(tokens, request.cancel, request.cache_key)
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


_FAKE_FIX = re.compile(r"fake-fix:\s*(.+?)\s*->\s*(.*?)\s*$")
_FAKE_ANSWER = re.compile(r"fake-answer:\s*([\w-]+)")
_USER_BLOCK = re.compile(r"```(\w*)\n(.*?)\n```", re.S)


def _chat_answer(prompt: Prompt) -> str:
    """Answer a chat prompt (code actions) deterministically: repeat the user's last code block,
    applying the scripted changes written in it as comments, and close the pre-filled fence.

    `fake-fix: OLD -> NEW` replaces OLD by NEW in the code (not in the directive itself);
    `fake-answer: prose|break|javascript` answers with prose, code that does not parse, or code in
    another language; a user message asking for a docstring gets one after the first line.
    """
    user = assistant = ""
    role = ""
    for piece in prompt:
        if isinstance(piece, Special):
            continue
        if piece.startswith("user\n"):
            role, piece = "user", piece[5:]
        elif piece.startswith("assistant\n"):
            role, piece = "assistant", piece[10:]
        elif piece.startswith("system\n"):
            role = "system"
        if role == "user":
            user += piece
        elif role == "assistant":
            assistant += piece
    blocks = _USER_BLOCK.findall(user)
    lang, code = blocks[-1] if blocks else ("", "")
    fixes = [m.groups() for m in map(_FAKE_FIX.search, code.splitlines()) if m]
    lines = []
    for line in code.splitlines():
        head, sep, tail = line.partition("fake-fix:")
        for old, new in fixes:
            head = head.replace(old, new)
        lines.append(head + sep + tail)
    code = "\n".join(lines)
    scripted = _FAKE_ANSWER.search(code)
    mode = scripted.group(1) if scripted else ""
    if mode == "prose":
        return "I looked at the code and I think it is correct as written, nothing to change.\n```"
    if mode == "break":
        code += "\n    return (((\n"
    if "Add a docstring" in user and code:
        first, _, rest = code.partition("\n")
        indent = len(rest) - len(rest.lstrip()) if rest.strip() else 4
        code = f'{first}\n{" " * indent}"""Fake docstring."""\n{rest}'
    if mode == "javascript":
        code = "function fixed(items) {\n  return items.length;\n}"
    body = f"{code}\n```\n"
    return body if assistant.startswith("```") else f"```{lang}\n{body}"


def _continue(prompt: Prompt) -> str:
    """The copy model: continue the text before the cursor with what followed it elsewhere."""
    if any(isinstance(p, Special) and p.name == "<|im_start|>" for p in prompt):
        return _chat_answer(prompt)
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
