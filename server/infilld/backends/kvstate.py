"""Saved KV-cache states of recently used files, so switching back to a file is cheap.

llama.cpp keeps one KV cache per context; a prompt for another file shares almost nothing with it
and overwrites it. Before that happens the backend copies the cache out (llama.cpp's seq-level
state API, a memcpy of about 12 KB per token for the 0.5B model) and keeps it here under the file's
key; when a later prompt shares a longer prefix with a saved state than with the live cache, the
backend copies that state back in instead of re-evaluating the prompt (seconds on a CPU).

This module holds only the bookkeeping (least-recently-used eviction by count and by bytes, and the
choice of the best state for a prompt); the blobs are opaque, so it is testable without llama.cpp.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

B = TypeVar("B")

# A saved state is only worth restoring when it saves at least this many prompt tokens over the
# live cache (a restore costs about as much as evaluating a handful of tokens).
MIN_GAIN_TOKENS = 32

# The fake backend's minimum run for moving cached tokens into place (the llama backend takes
# model.cacheReuse from the settings; the default is the same).
REUSE_MIN_RUN = 48


def common_prefix(a: Sequence[object], b: Sequence[object]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@dataclass(frozen=True)
class ReusePlan:
    """How to bring a KV cache holding `cached` to a new prompt without re-evaluating what it
    already holds: keep the common prefix, then move later runs of matching tokens down to where
    the new prompt has them (llama.cpp shifts their positions; RoPE makes that exact for position
    and approximate only in what those tokens attended to, as llama-server's --cache-reuse does).
    Runs only move down: llama.cpp requires new tokens to follow every cached position, so nothing
    can be evaluated between runs."""

    common: int  # tokens kept in place
    moves: tuple[tuple[int, int, int], ...]  # (cached start, new start, length), ascending
    reused: int  # tokens of the new prompt the cache provides: common + sum of move lengths


def plan_reuse(cached: Sequence[object], ids: Sequence[object], min_run: int) -> ReusePlan:
    """Plan the reuse of `cached` for the prompt `ids`: the common prefix, then, greedily from left
    to right, each run of at least `min_run` tokens of the cache that matches the prompt at the
    current point (cache tokens in between are dropped). The last prompt token is never reused: its
    logits must be fresh."""
    limit = len(ids) - 1
    common = min(common_prefix(cached, ids), max(limit, 0))
    moves: list[tuple[int, int, int]] = []
    head_c = head_p = common
    if min_run > 0:
        while head_c < len(cached) and head_p < limit:
            n = 0
            while (
                head_c + n < len(cached)
                and head_p + n < limit
                and cached[head_c + n] == ids[head_p + n]
            ):
                n += 1
            if n >= min_run:
                moves.append((head_c, head_p, n))
                head_c += n
                head_p += n
            else:
                head_c += 1
    return ReusePlan(common, tuple(moves), head_p)


@dataclass(frozen=True)
class SavedState(Generic[B]):
    """The tokens a KV state holds and the backend's copy of it."""

    tokens: tuple[object, ...]
    blob: B
    nbytes: int


class KVStateStore(Generic[B]):
    """At most `max_states` saved states (and `max_bytes` in all), least recently used evicted."""

    # Four: three files, and the one slot of a region's block prefilled in the background (the
    # engine's FOLLOW_CACHE_KEY), so an interrupted prefill of it does not push a file's state out.
    def __init__(self, max_states: int = 4, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_states = max_states
        self.max_bytes = max_bytes
        self._states: OrderedDict[str, SavedState[B]] = OrderedDict()
        self.saves = 0
        self.restores = 0

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, key: object) -> bool:
        return key in self._states

    def keys(self) -> list[str]:
        """Keys from least to most recently used."""
        return list(self._states)

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self._states.values())

    def put(self, key: str, tokens: Sequence[object], blob: B, nbytes: int) -> list[str]:
        """Save (or replace) the state of `key`; returns the keys evicted to stay within bounds."""
        if self.max_states <= 0 or nbytes > self.max_bytes:
            return []
        self._states.pop(key, None)
        self._states[key] = SavedState(tuple(tokens), blob, nbytes)
        self.saves += 1
        evicted: list[str] = []
        while len(self._states) > self.max_states or self.nbytes > self.max_bytes:
            old, _ = self._states.popitem(last=False)
            evicted.append(old)
        return evicted

    def drop(self, key: str) -> None:
        self._states.pop(key, None)

    def holds_prefix(
        self, live_key: str | None, live_tokens: Sequence[object], key: str, ids: Sequence[object]
    ) -> bool:
        """Whether the state of `key` (the live cache, `live_tokens`, when `live_key` is it, else
        a saved one) begins with all of `ids`."""
        if live_key == key:
            held = live_tokens
        else:
            state = self._states.get(key)
            if state is None:
                return False
            held = state.tokens
        return common_prefix(held, ids) == len(ids)

    def hand_over(self, live_key: str | None, from_key: str, to_key: str) -> str | None:
        """File the state of `from_key` (the live cache when `live_key` is it, else a saved one)
        under `to_key`, dropping the state saved under `to_key`, which it replaces. Returns the
        live cache's key afterwards."""
        if live_key == from_key:
            self._states.pop(to_key, None)
            return to_key
        state = self._states.pop(from_key, None)
        if state is not None:
            self._states.pop(to_key, None)
            self._states[to_key] = state
        return live_key

    def best(
        self, ids: Sequence[object], live_common: int
    ) -> tuple[str, SavedState[B], int] | None:
        """The saved state worth restoring for prompt `ids`: the one sharing the longest prefix,
        if that beats the live cache's `live_common` tokens by at least MIN_GAIN_TOKENS."""
        found: tuple[str, SavedState[B], int] | None = None
        for key, state in self._states.items():
            n = common_prefix(state.tokens, ids)
            if n >= live_common + MIN_GAIN_TOKENS and (found is None or n > found[2]):
                found = (key, state, n)
        if found is not None:
            self._states.move_to_end(found[0])
            self.restores += 1
        return found

    def should_save(
        self, live_key: str | None, live_tokens: int, new_key: str | None, live_common: int
    ) -> bool:
        """Save the live cache before a prompt overwrites it: it belongs to another file and most of
        it (more than MIN_GAIN_TOKENS) is about to be lost."""
        return (
            self.max_states > 0
            and live_key is not None
            and live_key != new_key
            and live_tokens - live_common > MIN_GAIN_TOKENS
        )

    def switch(
        self,
        live_key: str | None,
        live_tokens: Sequence[object],
        new_key: str | None,
        ids: Sequence[object],
        save: Callable[[], tuple[B, int]],
    ) -> tuple[str, SavedState[B], int] | None:
        """Before evaluating prompt `ids` for `new_key`: save the live cache if the prompt is about
        to overwrite another file's state (`save()` copies it out: (blob, bytes)), and return the
        saved state to restore instead of re-evaluating, if one beats the live cache."""
        live_common = common_prefix(live_tokens, ids)
        found = self.best(ids, live_common)  # first, so saving cannot evict the one we restore
        if self.should_save(live_key, len(live_tokens), new_key, live_common):
            assert live_key is not None
            blob, nbytes = save()
            self.put(live_key, live_tokens, blob, nbytes)
        return found
