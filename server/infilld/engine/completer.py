"""The completion engine: a document snapshot in, a post-processed suggestion out.

It owns the per-file prompt anchors (see prompt.py), a suggestion cache that answers typed-through
suggestions without the model, and the "newest request wins" rule: a request cancels the generation
of the one before it at the next token. Model work runs on the backend's owner thread; this class
is used from the asyncio event loop.

Latency work beyond that (see speed.py): an adaptive debounce from the typing rhythm; background
prefill of the prompt when a file is opened or the user pauses, which any real request cancels;
a speculative prefetch of the next suggestion once one is accepted, which the request for that
position joins instead of starting over; per-request stats for `infilld/stats`.

A repository block that follows the cursor (near code, see repo_context.py) is switched off the
request path: when the model has been idle for FOLLOW_DELAY_S, the engine asks the follower for the
cursor region's block, prefills its prompt under FOLLOW_CACHE_KEY (so the backend first saves the
file's state, which a request that interrupts the prefill gets back by a copy, not a
re-evaluation), and only a finished prefill makes the new block the one requests use. The one
exception: a request in that region that interrupts a prefill which already holds the whole new
block takes the block over, since the window after either block is new to the cache.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Protocol

import msgspec

from infilld.backends.base import (
    Backend,
    CancelEvent,
    GenerationRequest,
    PromptPiece,
    StopReason,
    run_generation,
)
from infilld.config import Settings
from infilld.engine.postprocess import CursorContext, cursor_context, is_complete, postprocess
from infilld.engine.prompt import (
    FIM_PREFIX,
    WINDOW_STEP_LINES,
    Anchor,
    Snippet,
    choose_anchor,
    cut_fim_window,
    layout_fim_prompt,
    layout_repo_head,
)
from infilld.engine.speed import (
    AdaptiveDebounce,
    EngineStats,
    RequestStat,
    Served,
    accepted_suggestion,
)

log = logging.getLogger(__name__)

# (path, text, offset, budget_tokens, count_tokens) -> snippets from other files, in a stable order.
ContextProvider = Callable[[Path, str, int, int, Callable[[str], int]], Sequence[Snippet]]

# The cache key of a region's block while it is prefilled in the background: one key for all files,
# so the backend keeps at most one such partial state besides the files' own.
FOLLOW_CACHE_KEY = "\x00follow"
# Idle time after a request or an edit before the repository block follows the cursor: longer than
# the pauses within a burst of typing (0.3-0.8 s in the latency benchmark's sessions), which would
# interrupt the prefill at once; each interruption costs the request a copy of the file's state.
FOLLOW_DELAY_S = 1.0


class ContextFollower(Protocol):
    """Moves a file's repository block along with the cursor (RepoContext implements it)."""

    def follow(
        self,
        path: Path,
        text: str,
        offset: int,
        budget_tokens: int,
        count_tokens: Callable[[str], int],
    ) -> Sequence[Snippet] | None:
        """The block for the cursor's region if it differs from the one the provider gives now;
        the same object again while the cursor stays in that region; None keeps the block."""
        ...

    def offered(self, path: Path, text: str, offset: int) -> Sequence[Snippet] | None:
        """The block follow() last returned for `path`, not adopted yet, if the cursor is in its
        region and it is still current; None otherwise. Cheap: it selects nothing."""
        ...

    def adopt(self, path: Path, snippets: Sequence[Snippet]) -> None:
        """From now on the provider gives `snippets` (a block follow() returned) for `path`."""
        ...


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
    generation_ms: float = 0.0  # time spent generating (after the prompt), for tokens/s


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
        follower: ContextFollower | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.context_provider = context_provider
        self.follower = follower
        self._anchors: dict[Path, Anchor] = {}
        self._cache: OrderedDict[Path, list[_CacheEntry]] = OrderedDict()
        self._cache_size = cache_size
        self._active: threading.Event | None = None
        self.last: Suggestion | None = None
        self.debounce = AdaptiveDebounce()
        self.stats = EngineStats()
        self.prefetch_enabled = True
        # Quiet time after an edit before the prompt at the cursor is prefilled in the background.
        self.pause_prefill_s = 0.15
        self._served: dict[Path, Served] = {}  # the last suggestion shown per file
        self._cursors: dict[Path, int] = {}  # the last known cursor per file
        # Per file, the lines the KV cache holds: (first, end) of the last prefix window or prefill.
        self._window_lines: dict[Path, tuple[int, int]] = {}
        self._prefill_cancel: threading.Event | None = None
        self._prefill_timer: asyncio.TimerHandle | None = None
        self._last_request_at = 0.0
        self._last_edit_at = 0.0
        self._requests_begun = 0
        self._requested: set[Path] = set()  # files with a request since they were opened
        # The running speculative prefetch: (path, text before, text after) and its task.
        self._speculative: tuple[tuple[Path, str, str], asyncio.Task[Suggestion | None]] | None = (
            None
        )
        self.background: set[asyncio.Task[object]] = set()

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
        self._served.pop(path, None)
        self._cursors.pop(path, None)
        self._window_lines.pop(path, None)
        self._requested.discard(path)

    # -- background work -----------------------------------------------------------------------
    def note_edit(self, req: CompletionRequest) -> None:
        """An edit arrived (`req.offset` is the cursor after it): feed the typing rhythm, detect an
        accepted suggestion (prefetch the next one), and arm the pause prefill."""
        now = time.monotonic()
        self._last_edit_at = now
        self.debounce.keystroke(now)
        self._cursors[req.path] = req.offset
        served = self._served.get(req.path)
        if served is not None and accepted_suggestion(served, req.text, req.offset):
            del self._served[req.path]
            self.stats.accepts += 1
            if self.prefetch_enabled:
                self._spawn(self._prefetch(req))
                return
        self.schedule_prefill(req, self.pause_prefill_s)  # in a new region, it is the follow

    def note_open(self, req: CompletionRequest) -> None:
        """A file was opened: prefill its prompt at the last known cursor, or the prompt's head
        (repository context and file header) when the cursor is not known yet."""
        cursor = self._cursors.get(req.path)
        if cursor is not None:
            req = msgspec.structs.replace(req, offset=min(cursor, len(req.text)))
        spec = self._speculative
        if spec is not None and spec[0][0] != req.path and not spec[1].done():
            # A prefetch for the file the user just left would hold the model while this file's
            # prefill waits; the user is looking at this file now.
            spec[1].cancel()
        self.schedule_prefill(req, 0.0, head_only=cursor is None)

    def note_cursor(self, req: CompletionRequest) -> None:
        """The cursor came to rest at `req.offset` without an edit (the editor's `infilld/cursor`):
        prefill the prompt there, in the cursor region's repository block, before the user types.
        A cursor where the last edit or request left it is ignored: that work is done or armed."""
        if self._cursors.get(req.path) == req.offset:
            return
        self._cursors[req.path] = req.offset
        self.schedule_prefill(req, self.pause_prefill_s)

    def schedule_prefill(
        self,
        req: CompletionRequest,
        delay_s: float,
        *,
        head_only: bool = False,
        follow_only: bool = False,
    ) -> None:
        """Prefill after `delay_s` unless a newer edit or any request comes first. There is one
        such timer: a newer schedule (an edit, a file opened) replaces the one armed before."""
        if self._prefill_timer is not None:
            self._prefill_timer.cancel()
        armed = time.monotonic()

        def fire() -> None:
            self._prefill_timer = None
            if self._last_request_at >= armed:
                return  # a request came after this was armed: it does (or did) the work
            if self._active is not None:
                # Background work (a prefetch) holds the model: try again shortly rather than
                # dropping the prefill, which the first request in an opened file depends on.
                self._prefill_timer = loop.call_later(PREFILL_RETRY_S, fire)
                return
            self._spawn(self.prefill(req, head_only=head_only, follow_only=follow_only))

        loop = asyncio.get_running_loop()

        self._prefill_timer = loop.call_later(delay_s, fire)

    async def prefill(
        self, req: CompletionRequest, *, head_only: bool = False, follow_only: bool = False
    ) -> int:
        """Evaluate the prompt for `req` into the KV cache without generating; any real request
        cancels it between chunks. Returns the tokens evaluated. `follow_only`: only let the
        repository block follow the cursor (schedule_follow), nothing when it stays."""
        if self._active is not None:
            return 0  # a real request is running: it is doing this work already
        # A pause in a new region: prefill with the region's block rather than evaluate the window
        # after the old block only to evaluate it again when the block follows. Not before the
        # file's first request: the block chosen when it opened may still be in its prefill, and
        # a second block would only compete with it for the CPU before that request.
        if follow_only or (
            not head_only and self.follower is not None and req.path in self._requested
        ):
            moved = await self._follow(req, time.monotonic(), preempt=not follow_only)
            if follow_only or moved is not None:
                return 0  # the follow's tokens are counted as followTokens
        if self._prefill_cancel is not None:
            self._prefill_cancel.set()
        cancel = CancelEvent()
        self._prefill_cancel = cancel
        snippets = await self._snippets(req)
        if cancel.is_set():
            return 0
        head_end = 0
        if head_only:
            rel, repo = _prompt_names(req)
            prompt = [*layout_repo_head(path=rel, repo_name=repo, snippets=snippets), FIM_PREFIX]
            # The prefix window of any cursor in the first prefix_lines + WINDOW_STEP_LINES lines
            # starts at line 0, so the file's head is what the first request will share.
            for _ in range(self.settings.completion.prefix_lines + WINDOW_STEP_LINES):
                nl = req.text.find("\n", head_end)
                if nl == -1:
                    break
                head_end = nl + 1
            head_end = min(head_end, self.settings.completion.prefix_chars)
            if head_end:
                prompt.append(req.text[:head_end])
        else:
            prompt = self._layout(req, snippets)
        evaluated = await self._run_prefill(prompt, cancel, str(req.path))
        if head_only and not cancel.is_set():
            # The whole head is in the cache now (not when a request cut the prefill short).
            self._window_lines[req.path] = (0, req.text.count("\n", 0, head_end))
        self.stats.prefills += 1
        self.stats.prefill_tokens += evaluated
        log.debug("prefilled %s:%d: %d tokens", req.path.name, req.offset, evaluated)
        return evaluated

    async def _run_prefill(self, prompt: list[PromptPiece], cancel: CancelEvent, key: str) -> int:
        """Prefill `prompt` on the model's thread as background work that `cancel` (installed as
        `_prefill_cancel`, which any request sets) stops; returns the tokens evaluated."""
        backend = self.backend
        future = backend.submit(lambda: backend.prefill(prompt, cancel, key))
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            cancel.set()
            raise
        finally:
            if self._prefill_cancel is cancel:
                self._prefill_cancel = None

    def schedule_follow(self, req: CompletionRequest) -> None:
        """Let the repository block follow the cursor of `req` once the model has been idle for
        FOLLOW_DELAY_S, unless a newer request or edit comes first (it schedules its own)."""
        if self.follower is not None and self.context_provider is not None:
            self.schedule_prefill(req, FOLLOW_DELAY_S, follow_only=True)

    async def _follow(
        self, req: CompletionRequest, armed: float, *, preempt: bool = False
    ) -> bool | None:
        """Prefill the prompt with the block of the cursor's region and adopt the block if the
        prefill finished. Returns whether it was adopted; None when the block in use stays.
        `preempt`: cancel a background prefill under way instead of waiting for it."""
        follower, cfg = self.follower, self.settings.context
        if follower is None or not self._context_on():
            return None
        try:
            snippets = await asyncio.to_thread(
                follower.follow, req.path, req.text, req.offset, cfg.budget_tokens,
                self.backend.count_tokens,
            )  # fmt: skip
        except Exception:  # context is an optimisation: the block in use stays
            log.exception("following the cursor failed for %s", req.path)
            return None
        if snippets is None:
            return None
        if max(self._last_request_at, self._last_edit_at) > armed:
            return False  # the newer request or edit schedules its own attempt
        if self._prefill_cancel is not None and preempt:
            self._prefill_cancel.set()
        elif self._active is not None or self._prefill_cancel is not None:
            self.schedule_follow(req)  # the model got busy meanwhile: try again when it is idle
            return False
        cancel = CancelEvent()
        self._prefill_cancel = cancel  # any request cancels it, like a prefill
        # The new block invalidates the whole window after it: a cold window costs half as much.
        prompt = self._layout(req, snippets, cold=True)
        t0 = time.monotonic()
        evaluated = await self._run_prefill(prompt, cancel, FOLLOW_CACHE_KEY)
        self.stats.follow_tokens += evaluated
        if cancel.is_set():
            # A request came: it uses the block in use, and schedules the next attempt when it
            # is done. The prefilled part is kept under FOLLOW_CACHE_KEY, so an attempt in the
            # same region goes on from there.
            self.stats.follows_interrupted += 1
            return False
        await self._adopt(follower, req, snippets)
        self.stats.follows += 1
        log.debug(
            "%s: the repository block follows the cursor to line %d (%d tokens in %.0f ms)",
            req.path.name, req.text.count("\n", 0, req.offset), evaluated,
            (time.monotonic() - t0) * 1000,
        )  # fmt: skip
        return True

    async def _block(self, req: CompletionRequest) -> Sequence[Snippet]:
        """The repository block for a request: a follow's it takes over, else the provider's.
        In that order: the provider is asked after any take-over, this request's or a concurrent
        one's, so it never answers with a block whose KV state a take-over has just dropped."""
        taken = await self._take_follow(req)
        return taken if taken is not None else await self._snippets(req)

    async def _take_follow(self, req: CompletionRequest) -> Sequence[Snippet] | None:
        """The cursor region's block whose follow this request interrupted, adopted, if the
        follow's KV state already holds all of it; None otherwise. The window after the block is
        new to the cache either way in a new region, so the region's block then costs the request
        no more tokens than the old one, and suggests better."""
        follower = self.follower
        if follower is None or not self._context_on():
            return None
        offered = follower.offered(req.path, req.text, req.offset)
        if offered is None:
            return None
        rel, repo = _prompt_names(req)
        head = layout_repo_head(path=rel, repo_name=repo, snippets=offered)
        backend = self.backend
        # Through the model's thread: a follow prefill cut short ends its chunk first.
        if not await asyncio.wrap_future(
            backend.submit(lambda: backend.holds_prefix(FOLLOW_CACHE_KEY, head))
        ):
            return None
        if follower.offered(req.path, req.text, req.offset) is not offered:
            return None  # a concurrent request took it over meanwhile: the provider gives it
        await self._adopt(follower, req, offered)
        self.stats.follows_taken += 1
        log.debug("%s: a request took over the block its follow had prefilled", req.path.name)
        return offered

    async def _adopt(
        self, follower: ContextFollower, req: CompletionRequest, snippets: Sequence[Snippet]
    ) -> None:
        """Make `snippets` (a block follow() offered) the file's block, and the KV state prefilled
        under FOLLOW_CACHE_KEY the file's. Adopt first: a request between the two then already
        uses the new block, which the live cache holds. In the other order such a request would
        ask for the old block just after the backend dropped the file's saved state, and evaluate
        the whole prompt."""
        follower.adopt(req.path, snippets)
        backend = self.backend
        await asyncio.wrap_future(
            backend.submit(lambda: backend.hand_over_cache(FOLLOW_CACHE_KEY, str(req.path)))
        )

    async def _prefetch(self, req: CompletionRequest) -> Suggestion | None:
        """Compute the suggestion after an accepted one before the editor asks; the result lands
        in the suggestion cache, and a request for this position meanwhile joins this task."""
        task = asyncio.current_task()
        assert task is not None
        self._speculative = (_state_key(req), task)
        self.stats.prefetches += 1
        try:
            return await self.complete(req, speculative=True)
        finally:
            if self._speculative is not None and self._speculative[1] is task:
                self._speculative = None

    def _spawn(self, coro: Coroutine[object, object, object]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[object]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background completion work failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for scheduled and running background work (tests, benchmarks)."""
        while self._prefill_timer is not None or self.background:
            if self.background:
                await asyncio.gather(*list(self.background), return_exceptions=True)
            else:
                await asyncio.sleep(0.01)

    def stats_snapshot(self, recent: int = 64) -> dict[str, object]:
        snap = self.stats.snapshot(recent)
        states = getattr(self.backend, "states", None)
        if states is not None:
            snap["kvStates"] = {"saved": len(states), "bytes": states.nbytes,
                                "saves": states.saves, "restores": states.restores}  # fmt: skip
        return snap

    # -- completion ----------------------------------------------------------------------------
    async def complete(
        self, req: CompletionRequest, *, speculative: bool = False
    ) -> Suggestion | None:
        """Suggest text for the cursor, or None. Cancelling the awaiting task stops the model.

        `speculative`: a background prefetch (not shown to anyone yet; not counted in the stats).
        """
        if speculative:
            return await self._complete(req, speculative=True)
        self._requests_begun += 1
        mine = self._requests_begun
        suggestion = await self._complete(req)
        if self._requests_begun == mine:  # no newer request: the cursor rests here for now
            self.schedule_follow(req)
        return suggestion

    async def _complete(
        self, req: CompletionRequest, *, speculative: bool = False
    ) -> Suggestion | None:
        start = time.monotonic()
        cfg = self.settings.completion
        if not speculative:
            self._last_request_at = start
            self._cursors[req.path] = req.offset
            self._requested.add(req.path)
            if self._prefill_cancel is not None:
                self._prefill_cancel.set()  # a real request never waits for background prefill
            spec = self._speculative
            if spec is not None and not spec[1].done() and spec[0] == _state_key(req):
                # The prefetch started on acceptance is computing exactly this: wait for it.
                try:
                    joined = await asyncio.shield(spec[1])
                except asyncio.CancelledError:
                    current = asyncio.current_task()
                    if not spec[1].cancelled() or (current is not None and current.cancelling()):
                        raise
                    joined = None  # the prefetch was dropped (another file opened): compute
                else:
                    if joined is None:
                        return None
                    return self._served_now(req, joined.text, start, "prefetch")
        if self._active is not None:
            self._active.set()  # newest request wins
        cancel = CancelEvent()
        self._active = cancel
        cached = self._from_cache(req)
        if cached is not None:
            if self._active is cancel:
                self._active = None
            return self._served_now(req, cached, start, "cache")
        try:
            if not speculative:
                wait = self.debounce.delay(start)
                if wait > 0:
                    # A short wait while the user types fast; the next keystroke's request (or a
                    # $/cancelRequest, which cancels this task) ends it before any model work.
                    await asyncio.sleep(wait)
                    if cancel.is_set():
                        self.stats.superseded_in_debounce += 1
                        return None
            snippets = await self._block(req)
        except asyncio.CancelledError:
            cancel.set()  # $/cancelRequest during the wait
            raise
        finally:
            if self._active is cancel and cancel.is_set():
                self._active = None
        if cancel.is_set():
            return None
        mode = cfg.multiline
        if mode == "auto" and await asyncio.to_thread(_in_comment_or_string, req):
            mode = "never"  # finish the comment or string on this line, not a block of code
        ctx = cursor_context(req.text, req.offset, mode=mode, max_lines=cfg.max_lines)
        prompt = self._layout(req, snippets)
        gen = GenerationRequest(
            prompt=prompt,
            max_tokens=cfg.max_tokens,
            temperature=cfg.temperature,
            heal=True,
            deadline=start + cfg.timeout_ms / 1000,
            cancel=cancel,
            should_stop=_stopper(ctx, cfg.multiline_ms / 1000, since=time.monotonic()),
            cache_key=str(req.path),
        )
        try:
            result = await run_generation(self.backend, gen)
        finally:
            if self._active is cancel:
                self._active = None
        if result.stop_reason is StopReason.CANCELLED:
            self.stats.cancelled += 1
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
            generation_ms=max(0.0, result.total_ms - result.prompt_ms),
        )
        log.info(
            "completion %s:%d %.0f ms prompt=%d evaluated=%d generated=%d stop=%s -> %r",
            req.path.name, req.offset, s.latency_ms, s.prompt_tokens, s.evaluated_tokens,
            s.generated_tokens, s.stop_reason, text[:80],
        )  # fmt: skip
        if not speculative:
            self.last = s
            self.stats.add(
                RequestStat(
                    latency_ms=s.latency_ms, source="model", prompt_tokens=s.prompt_tokens,
                    evaluated_tokens=s.evaluated_tokens, generated_tokens=s.generated_tokens,
                    generation_ms=s.generation_ms,
                )
            )  # fmt: skip
        if text:
            self._remember(req, text)
            if not speculative:
                self._served[req.path] = Served(
                    req.text[: req.offset], req.text[req.offset :], text
                )
        return s if text else None

    def _served_now(
        self, req: CompletionRequest, text: str, start: float, source: str
    ) -> Suggestion:
        """A suggestion answered without new model work (cache or a joined prefetch)."""
        s = Suggestion(text=text, latency_ms=(time.monotonic() - start) * 1000, source=source)
        self.last = s
        self.stats.add(RequestStat(latency_ms=s.latency_ms, source=source))
        self._served[req.path] = Served(req.text[: req.offset], req.text[req.offset :], text)
        return s

    def _context_on(self) -> bool:
        """Whether the settings ask for repository context."""
        return self.settings.context.enable and self.settings.context.budget_tokens > 0

    async def _snippets(self, req: CompletionRequest) -> Sequence[Snippet]:
        """Repository context for the request (empty when disabled or failing)."""
        ctx_cfg = self.settings.context
        if self.context_provider is None or not self._context_on():
            return ()
        provider = self.context_provider
        try:
            return await asyncio.to_thread(
                provider, req.path, req.text, req.offset, ctx_cfg.budget_tokens,
                self.backend.count_tokens,
            )  # fmt: skip
        except Exception:  # context is an optimisation: never fail a completion over it
            log.exception("context selection failed for %s", req.path)
            return ()

    def _layout(
        self, req: CompletionRequest, snippets: Sequence[Snippet], *, cold: bool = False
    ) -> list[PromptPiece]:
        """The prompt for `req`. `cold`: the KV cache will hold none of the window (a new block
        comes before it), so cut it like the first window in a file (coldPrefixLines)."""
        cfg = self.settings.completion
        anchor = choose_anchor(req.text, req.offset, self._anchors.get(req.path))
        self._anchors[req.path] = anchor
        window = cut_fim_window(
            req.text, req.offset, anchor,
            prefix_lines=cfg.prefix_lines, suffix_lines=cfg.suffix_lines,
            prefix_chars=cfg.prefix_chars, suffix_chars=cfg.suffix_chars,
            cached_lines=None if cold else self._window_lines.get(req.path),
            cold_lines=cfg.cold_prefix_lines,
        )  # fmt: skip
        self._window_lines[req.path] = (window.first_line, window.anchor_line)
        rel, repo = _prompt_names(req)
        return list(layout_fim_prompt(window, path=rel, repo_name=repo, snippets=snippets))


PREFILL_RETRY_S = 0.05  # a prefill waiting for the model to be free checks again this often
MAX_SYNTAX_CHARS = 300_000  # bigger buffers skip the syntax check (a parse per request)


def _stopper(
    ctx: CursorContext, multiline_s: float, since: float | None = None
) -> Callable[[str], bool]:
    """Stop when the suggestion is complete, or, for a multi-line one, at the first line end
    `multiline_s` after `since` (the prompt reached the model; default: the first token): a few
    lines now beat eight lines seconds later on a CPU. Counting the prompt's evaluation means a
    pause that had to evaluate a cold window (over a second) shows its first line at once."""
    started: float | None = since

    def should_stop(text: str) -> bool:
        nonlocal started
        if is_complete(text, ctx):
            return True
        now = time.monotonic()
        if started is None:
            started = now
        return (
            ctx.multiline
            and multiline_s > 0
            and now - started >= multiline_s
            and "\n" in text.lstrip()  # a finished line, and
            and not text[text.rfind("\n") + 1 :].strip()  # only indentation after it
        )

    return should_stop


def _in_comment_or_string(req: CompletionRequest) -> bool:
    """Whether the cursor is inside a comment or a string literal (tree-sitter; False without a
    grammar for the file)."""
    if len(req.text) > MAX_SYNTAX_CHARS:
        return False
    from infilld.syntax import char_to_byte, is_inside_string_or_comment, language_for_source, parse

    lang = language_for_source(req.path, req.text)
    if lang is None:
        return False
    tree = parse(req.text, lang)
    return is_inside_string_or_comment(tree, char_to_byte(req.text, req.offset))


def _state_key(req: CompletionRequest) -> tuple[Path, str, str]:
    return (req.path, req.text[: req.offset], req.text[req.offset :])


def _prompt_names(req: CompletionRequest) -> tuple[str, str | None]:
    """The current file's path as the prompt names it, and the repository's name."""
    root = req.workspace_root
    if root is not None:
        try:
            return req.path.relative_to(root).as_posix(), root.name
        except ValueError:
            return req.path.name, root.name
    return req.path.name, None


__all__ = ["CompletionEngine", "CompletionRequest", "CursorContext", "Suggestion"]
