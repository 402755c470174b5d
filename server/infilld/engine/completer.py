"""The completion engine: a document snapshot in, a post-processed suggestion out.

It owns the per-file prompt anchors (see prompt.py), a suggestion cache that answers typed-through
suggestions without the model, and the "newest request wins" rule: a request cancels the generation
of the one before it at the next token. Model work runs on the backend's owner thread; this class
is used from the asyncio event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from infilld.backends.base import Backend, GenerationRequest, PromptPiece, StopReason
from infilld.config import Settings
from infilld.engine.postprocess import CursorContext, cursor_context, is_complete, postprocess
from infilld.engine.prompt import Anchor, Snippet, choose_anchor, cut_fim_window, layout_fim_prompt

log = logging.getLogger(__name__)

# (path, text, offset, budget_tokens, count_tokens) -> snippets from other files, in a stable order.
ContextProvider = Callable[[Path, str, int, int, Callable[[str], int]], Sequence[Snippet]]


class CompletionRequest(msgspec.Struct, kw_only=True):
    path: Path  # absolute path (or a pseudo path for untitled buffers)
    text: str  # the whole document
    offset: int  # cursor as an index into `text`
    workspace_root: Path | None = None


class Suggestion(msgspec.Struct, kw_only=True):
    text: str  # inserted at the cursor
    latency_ms: float
    source: str  # "model" | "cache"
    prompt_tokens: int = 0
    evaluated_tokens: int = 0
    generated_tokens: int = 0
    stop_reason: str = ""


class _CacheEntry(msgspec.Struct):
    before: str  # document text before the cursor when the suggestion was made
    after: str  # document text after the cursor
    text: str


class CompletionEngine:
    def __init__(
        self,
        backend: Backend,
        settings: Settings,
        context_provider: ContextProvider | None = None,
        cache_size: int = 256,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.context_provider = context_provider
        self._anchors: dict[Path, Anchor] = {}
        self._cache: OrderedDict[Path, list[_CacheEntry]] = OrderedDict()
        self._cache_size = cache_size
        self._active: threading.Event | None = None
        self.last: Suggestion | None = None

    # -- cache -------------------------------------------------------------------------------
    def _from_cache(self, req: CompletionRequest) -> str | None:
        """A previous suggestion the user is typing through: same text after the cursor, and the text
        typed since is a prefix of that suggestion."""
        before, after = req.text[: req.offset], req.text[req.offset :]
        for entry in reversed(self._cache.get(req.path, [])):
            if entry.after != after or not before.startswith(entry.before):
                continue
            typed = before[len(entry.before) :]
            if entry.text.startswith(typed) and len(typed) < len(entry.text):
                return entry.text[len(typed) :]
        return None

    def _remember(self, req: CompletionRequest, text: str) -> None:
        entries = self._cache.setdefault(req.path, [])
        self._cache.move_to_end(req.path)
        entries.append(_CacheEntry(req.text[: req.offset], req.text[req.offset :], text))
        del entries[:-8]
        while sum(len(v) for v in self._cache.values()) > self._cache_size:
            self._cache.popitem(last=False)

    def forget(self, path: Path) -> None:
        self._cache.pop(path, None)
        self._anchors.pop(path, None)

    # -- completion ----------------------------------------------------------------------------
    async def complete(self, req: CompletionRequest) -> Suggestion | None:
        """Suggest text for the cursor, or None. Cancelling the awaiting task stops the model."""
        start = time.monotonic()
        cfg = self.settings.completion
        if self._active is not None:
            self._active.set()  # newest request wins
        cancel = threading.Event()
        self._active = cancel
        ctx = cursor_context(req.text, req.offset, mode=cfg.multiline, max_lines=cfg.max_lines)
        cached = self._from_cache(req)
        if cached is not None:
            s = Suggestion(
                text=cached, latency_ms=(time.monotonic() - start) * 1000, source="cache"
            )
            self.last = s
            return s
        snippets: Sequence[Snippet] = ()
        ctx_cfg = self.settings.context
        if self.context_provider is not None and ctx_cfg.enable and ctx_cfg.budget_tokens > 0:
            provider = self.context_provider
            try:
                snippets = await asyncio.to_thread(
                    provider, req.path, req.text, req.offset, ctx_cfg.budget_tokens,
                    self.backend.count_tokens,
                )  # fmt: skip
            except Exception:  # context is an optimisation: never fail a completion over it
                log.exception("context selection failed for %s", req.path)
        prompt = self._layout(req, snippets)
        gen = GenerationRequest(
            prompt=prompt,
            max_tokens=cfg.max_tokens,
            temperature=cfg.temperature,
            heal=True,
            deadline=start + cfg.timeout_ms / 1000,
            cancel=cancel,
            should_stop=lambda text: is_complete(text, ctx),
        )
        future = self.backend.submit(lambda: self.backend.generate(gen))
        try:
            result = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            cancel.set()  # the token loop sees this before its next token
            raise
        finally:
            if self._active is cancel:
                self._active = None
        if result.stop_reason is StopReason.CANCELLED:
            return None
        truncated = result.stop_reason in (StopReason.DEADLINE, StopReason.MAX_TOKENS)
        text = postprocess(result.text, ctx, truncated=truncated)
        s = Suggestion(
            text=text,
            latency_ms=(time.monotonic() - start) * 1000,
            source="model",
            prompt_tokens=result.prompt_tokens,
            evaluated_tokens=result.evaluated_tokens,
            generated_tokens=result.generated_tokens,
            stop_reason=result.stop_reason.value,
        )
        log.info(
            "completion %s:%d %.0f ms prompt=%d evaluated=%d generated=%d stop=%s -> %r",
            req.path.name, req.offset, s.latency_ms, s.prompt_tokens, s.evaluated_tokens,
            s.generated_tokens, s.stop_reason, text[:80],
        )  # fmt: skip
        self.last = s
        if text:
            self._remember(req, text)
        return s if text else None

    def _layout(self, req: CompletionRequest, snippets: Sequence[Snippet]) -> list[PromptPiece]:
        cfg = self.settings.completion
        anchor = choose_anchor(req.text, req.offset, self._anchors.get(req.path))
        self._anchors[req.path] = anchor
        window = cut_fim_window(
            req.text, req.offset, anchor,
            prefix_lines=cfg.prefix_lines, suffix_lines=cfg.suffix_lines,
            prefix_chars=cfg.prefix_chars, suffix_chars=cfg.suffix_chars,
        )  # fmt: skip
        rel = _relative(req.path, req.workspace_root)
        repo = req.workspace_root.name if req.workspace_root else None
        return list(layout_fim_prompt(window, path=rel, repo_name=repo, snippets=snippets))


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


__all__ = ["CompletionEngine", "CompletionRequest", "CursorContext", "Suggestion"]
