"""Latency helpers of the completion engine that need no model: typing rhythm, acceptance, stats.

- `AdaptiveDebounce` turns the typing rhythm into a short wait before model work starts. The model
  thread cannot be pre-empted inside a token or prompt chunk, so a request started between two
  fast keystrokes makes the next one wait; a slow typist (or a pause) gets no wait at all. The wait
  is kept short (at most 60 ms): the wait at the last keystroke before a pause adds directly to the
  time-to-suggestion, while a cancelled request wastes little (its prompt stays in the KV cache
  for the next one), as the latency benchmark showed with a 170 ms wait.
- `accepted_suggestion` tells from the document alone whether the user just took a suggestion (the
  text before the cursor now ends with it), which triggers a speculative prefetch of the next one.
- `EngineStats` counts what each request cost, for `infilld/stats` and the latency benchmark.
"""

from __future__ import annotations

import statistics
from collections import deque
from typing import Any

import msgspec

# Gaps longer than this are pauses, not typing rhythm (they reset the estimate's influence).
PAUSE_GAP_S = 0.6
# Keystrokes closer than this are bursts (auto-repeat, paste split in pieces): no signal either.
MIN_GAP_S = 0.005


class AdaptiveDebounce:
    """Debounce delay from an exponentially weighted average of recent keystroke gaps.

    The wait grows with typing speed: for a gap estimate g the wait is `factor * g` minus the time
    already elapsed since the last keystroke, capped at `max_s`; it is zero when the user types
    slower than `slow_gap_s` between keys (each keystroke is then likely the last before a pause).
    """

    def __init__(
        self,
        *,
        max_s: float = 0.06,
        factor: float = 0.5,
        slow_gap_s: float = 0.35,
        alpha: float = 0.3,
    ) -> None:
        self.max_s = max_s
        self.factor = factor
        self.slow_gap_s = slow_gap_s
        self.alpha = alpha
        self.gap_s: float | None = None  # the typing-rhythm estimate
        self.last_key: float | None = None

    def keystroke(self, now: float) -> None:
        """Record an edit at time `now` (seconds, monotonic)."""
        if self.last_key is not None:
            gap = now - self.last_key
            if MIN_GAP_S <= gap <= PAUSE_GAP_S:
                self.gap_s = (
                    gap if self.gap_s is None else self.alpha * gap + (1 - self.alpha) * self.gap_s
                )
        self.last_key = now

    def delay(self, now: float) -> float:
        """Seconds to wait before starting model work for a request made at `now`."""
        if self.gap_s is None or self.last_key is None or self.gap_s >= self.slow_gap_s:
            return 0.0
        since = now - self.last_key
        if since >= PAUSE_GAP_S:
            return 0.0
        return max(0.0, min(self.max_s, self.factor * self.gap_s - since))


class Served(msgspec.Struct, frozen=True):
    """A suggestion shown to the user: the document around the cursor when it was made."""

    before: str
    after: str
    text: str


def accepted_suggestion(served: Served, text: str, cursor: int) -> bool:
    """True when the document is the one the suggestion was made in with the suggestion inserted
    at the cursor, and the cursor right after it (Tab, or typing it through to the end)."""
    n = len(served.text)
    return (
        n > 0
        and cursor >= n
        and text[cursor:] == served.after
        and text[cursor - n : cursor] == served.text
        and text[: cursor - n] == served.before
    )


class RequestStat(msgspec.Struct, frozen=True):
    """What one answered request cost."""

    latency_ms: float
    source: str  # "model" | "cache" | "prefetch"
    prompt_tokens: int = 0
    evaluated_tokens: int = 0
    generated_tokens: int = 0
    generation_ms: float = 0.0


class EngineStats:
    """Counters and the last few hundred requests (bounded: the server runs for hours)."""

    def __init__(self, keep: int = 4096) -> None:
        self.requests: deque[RequestStat] = deque(maxlen=keep)
        self.cancelled = 0
        self.superseded_in_debounce = 0
        self.prefills = 0
        self.prefill_tokens = 0
        self.prefetches = 0
        self.accepts = 0
        self.follows = 0  # repository blocks that moved with the cursor (prefilled, adopted)
        self.follows_interrupted = 0  # such prefills a request cut short
        self.follow_tokens = 0  # tokens those prefills evaluated
        self.follows_taken = 0  # interrupted ones whose block the interrupting request took over

    def add(self, stat: RequestStat) -> None:
        self.requests.append(stat)

    def snapshot(self, recent: int = 64) -> dict[str, Any]:
        """A JSON-able summary (the `infilld/stats` answer) with the last `recent` requests."""
        reqs = list(self.requests)
        model = [r for r in reqs if r.source == "model"]
        gen_tokens = sum(r.generated_tokens for r in model)
        gen_ms = sum(r.generation_ms for r in model)
        return {
            "requests": len(reqs),
            "cacheHits": sum(1 for r in reqs if r.source != "model"),
            "modelRequests": len(model),
            "cancelled": self.cancelled,
            "supersededInDebounce": self.superseded_in_debounce,
            "prefills": self.prefills,
            "prefillTokens": self.prefill_tokens,
            "prefetches": self.prefetches,
            "accepts": self.accepts,
            "follows": self.follows,
            "followsInterrupted": self.follows_interrupted,
            "followTokens": self.follow_tokens,
            "followsTaken": self.follows_taken,
            "medianEvaluatedTokens": (
                statistics.median(r.evaluated_tokens for r in model) if model else 0
            ),
            "tokensPerSecond": round(gen_tokens * 1000 / gen_ms, 1) if gen_ms > 0 else 0.0,
            "recent": [msgspec.to_builtins(r) for r in reqs[len(reqs) - max(0, recent) :]],
        }
