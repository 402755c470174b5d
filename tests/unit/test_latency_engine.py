"""Latency features of the engine with the fake backend: background prefill (and its cancellation by
a real request), per-file KV states, the typed-through cache, prefetch after an accepted suggestion,
and the newest-wins rule. The fake backend counts evaluated tokens like llama.cpp's KV cache, so the
assertions are about work done, never about time."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from infilld.backends.fake import FakeBackend
from infilld.backends.kvstate import KVStateStore
from infilld.config import Settings
from infilld.engine.completer import CompletionEngine, CompletionRequest
from infilld.engine.speed import Served

FILE_A = "".join(
    f"def helper_{i}(value):\n    return value * {i} + offset_{i}\n\n" for i in range(30)
)
FILE_B = "".join(f"class Model{i}:\n    name = 'model_{i}'\n    size = {i}\n\n" for i in range(30))


def _engine(backend: FakeBackend | None = None) -> CompletionEngine:
    settings = Settings()
    engine = CompletionEngine(backend or FakeBackend(), settings)
    engine.debounce.max_s = 0.0  # no waits in unit tests; the debounce is tested on its own
    return engine


def _req(path: str, text: str, offset: int | None = None) -> CompletionRequest:
    return CompletionRequest(
        path=Path("/ws") / path, text=text, offset=len(text) if offset is None else offset
    )


def _accept_with_newline(engine: CompletionEngine, text: str, suggestion: str) -> str:
    """Show `suggestion` plus a line end at the end of a.py's `text`, and accept it (Tab)."""
    engine._served[Path("/ws/a.py")] = Served(before=text, after="", text=suggestion + "\n")
    accepted = text + suggestion + "\n"
    engine.note_edit(_req("a.py", accepted))
    return accepted


def _evaluated(engine: CompletionEngine) -> int:
    return engine.stats.requests[-1].evaluated_tokens


async def test_background_prefill_makes_the_first_request_cheap() -> None:
    engine = _engine()
    text = FILE_A + "def helper_99(value):\n    return "
    assert await engine.prefill(_req("a.py", text)) > 100
    s = await engine.complete(_req("a.py", text))
    assert s is not None and s.source == "model"
    assert s.evaluated_tokens <= 2  # only the healed last token is evaluated again


async def test_prefill_on_open_covers_the_head_and_the_start_of_the_file() -> None:
    backend = FakeBackend()
    engine = _engine(backend)
    engine.note_open(_req("a.py", FILE_A))
    await engine.drain()
    assert backend.prefills == 1
    assert engine.stats.prefill_tokens > 20  # the file's first lines, not only its header
    # A first request in the file then shares the text above its line: only the line and the
    # suffix are evaluated.
    cursor = FILE_A.rstrip("\n").rfind("\n") + 1  # start of the last line
    await engine.complete(_req("a.py", FILE_A, cursor))
    last = engine.stats.requests[-1]
    assert last.evaluated_tokens < last.prompt_tokens // 4


async def test_a_real_request_cancels_a_running_prefill() -> None:
    backend = FakeBackend()
    backend.prefill_chunk_delay = 0.02
    engine = _engine(backend)
    text = FILE_A * 4
    prefill = asyncio.create_task(engine.prefill(_req("a.py", text)))
    await asyncio.sleep(0.05)  # let a few chunks run
    other = FILE_B + "class Model99:\n    "
    await engine.complete(_req("b.py", other))
    evaluated = await prefill
    total = len(backend._cache)
    assert 0 < evaluated < total + 1000  # it stopped early ...
    assert evaluated < 3000  # ... long before the whole 4x file was evaluated
    assert engine.stats.prefills == 1


async def test_pause_prefill_is_skipped_when_a_request_came_first() -> None:
    backend = FakeBackend()
    engine = _engine(backend)
    engine.pause_prefill_s = 0.05
    text = FILE_A + "x = "
    engine.note_edit(_req("a.py", text))
    await engine.complete(_req("a.py", text))
    await engine.drain()
    assert backend.prefills == 0


async def test_switching_back_to_a_file_restores_its_kv_state() -> None:
    engine = _engine()
    a = FILE_A + "def helper_99(value):\n    return "
    b = FILE_B + "class Model99:\n    name = "
    await engine.complete(_req("a.py", a))
    await engine.complete(_req("b.py", b))
    assert _evaluated(engine) > 100  # b.py evaluated from scratch
    await engine.complete(_req("a.py", a + "zz"))
    assert _evaluated(engine) < 10  # a.py's state came back from the store
    await engine.complete(_req("b.py", b + "zz"))
    assert _evaluated(engine) < 10


async def test_without_saved_states_switching_costs_the_whole_prompt() -> None:
    backend = FakeBackend()
    backend.states = KVStateStore(max_states=0)
    engine = _engine(backend)
    a = FILE_A + "def helper_99(value):\n    return "
    await engine.complete(_req("a.py", a))
    await engine.complete(_req("b.py", FILE_B + "class Model99:\n    name = "))
    await engine.complete(_req("a.py", a + "zz"))
    assert _evaluated(engine) > 100


async def test_typed_through_suggestion_comes_from_the_cache() -> None:
    engine = _engine()
    text = FILE_A + "def helper_3(value):\n    return "
    s = await engine.complete(_req("a.py", text))
    assert s is not None and len(s.text) > 2
    t = await engine.complete(_req("a.py", text + s.text[:2]))
    assert t is not None and t.source == "cache" and t.text == s.text[2:]


async def test_accepting_a_suggestion_prefetches_the_next_one() -> None:
    backend = FakeBackend()
    engine = _engine(backend)
    text = FILE_A + "def helper_3(value):\n    return "
    s = await engine.complete(_req("a.py", text))
    assert s is not None
    accepted = text + s.text
    engine.note_edit(_req("a.py", accepted))  # Tab: the suggestion is now before the cursor
    assert engine.stats.accepts == 1
    await engine.drain()
    assert engine.stats.prefetches == 1
    nxt = await engine.complete(_req("a.py", accepted))
    # Answered without new model work: from the prefetched result (or None if the model had
    # nothing to add, in which case the prefetch still ran).
    assert nxt is None or nxt.source in ("cache", "prefetch")


async def test_a_request_joins_the_running_prefetch() -> None:
    backend = FakeBackend(delay_ms=5)
    engine = _engine(backend)
    text = FILE_A + "def helper_3(value):\n    return "
    s = await engine.complete(_req("a.py", text))
    assert s is not None
    accepted = _accept_with_newline(engine, text, s.text)
    await asyncio.sleep(0)  # the prefetch task starts
    nxt = await engine.complete(_req("a.py", accepted))
    assert engine.stats.prefetches == 1
    assert engine.stats.cancelled == 0  # joined, not cancelled and restarted
    assert nxt is None or nxt.source == "prefetch"


async def test_editing_without_accepting_does_not_prefetch() -> None:
    engine = _engine()
    text = FILE_A + "def helper_3(value):\n    return "
    s = await engine.complete(_req("a.py", text))
    assert s is not None
    engine.pause_prefill_s = 1000.0  # keep the pause prefill out of this test
    engine.note_edit(_req("a.py", text + "zz"))
    assert engine.stats.accepts == 0 and engine.stats.prefetches == 0
    if engine._prefill_timer is not None:
        engine._prefill_timer.cancel()


async def test_newest_request_wins() -> None:
    engine = _engine(FakeBackend(delay_ms=20))
    text = FILE_A + "def helper_3(value):\n    return "
    first = asyncio.create_task(engine.complete(_req("a.py", text)))
    await asyncio.sleep(0.03)
    second = await engine.complete(_req("a.py", text + "v"))
    assert await first is None
    assert engine.stats.cancelled == 1
    assert second is None or second.source == "model"


def test_cancel_event_stops_backend_prefill_between_chunks() -> None:
    backend = FakeBackend()
    cancel = threading.Event()
    cancel.set()
    from infilld.engine.prompt import FIM_PREFIX

    assert backend.prefill([FIM_PREFIX, FILE_A], cancel, "a") == 0
    assert backend.prefill([FIM_PREFIX, FILE_A], None, "a") > 100


@pytest.fixture(autouse=True)
def _no_debounce_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INFILLD_FAKE_DELAY_MS", raising=False)
    monkeypatch.delenv("INFILLD_FAKE_PREFILL_MS", raising=False)


async def test_opening_a_file_drops_the_prefetch_for_the_file_left_and_still_prefills() -> None:
    backend = FakeBackend(delay_ms=30)
    engine = _engine(backend)
    text = FILE_A + "def helper_3(value):\n    return "
    s = await engine.complete(_req("a.py", text))
    assert s is not None
    _accept_with_newline(engine, text, s.text)  # accepted: a prefetch starts
    await asyncio.sleep(0.01)
    assert engine._speculative is not None
    prefetch = engine._speculative[1]
    engine.note_open(_req("b.py", FILE_B))
    await engine.drain()
    assert prefetch.cancelled()
    assert backend.prefills == 1  # the open prefill ran once the model was free


async def test_moving_the_cursor_in_a_file_evaluates_only_new_lines() -> None:
    engine = _engine()
    text = "".join(f"value_{i} = compute({i}, scale=2)\n" for i in range(300))

    def at(line: int) -> CompletionRequest:
        offset = sum(len(x) + 1 for x in text.split("\n")[:line])
        return _req("m.py", text, offset)

    await engine.complete(at(200))
    cold = engine.stats.requests[-1]
    # A cold window is cut to coldPrefixLines: about 32 lines of ~13 tokens, plus the suffix.
    assert cold.evaluated_tokens < 40 * 14 + 20 * 14
    await engine.complete(at(210))  # down: the window keeps its start, 10 new lines
    assert _evaluated(engine) < 30 * 14
    await engine.complete(at(205))  # up: the cached start is kept, only the suffix is new
    assert _evaluated(engine) < 20 * 14


def test_a_multiline_suggestion_stops_at_a_line_end_after_its_time() -> None:
    from infilld.engine.completer import _stopper
    from infilld.engine.postprocess import cursor_context

    doc = "def f(x):\n    \n"
    ctx = cursor_context(doc, doc.index("    \n") + 4, mode="auto", max_lines=8)
    assert ctx.multiline
    patient = _stopper(ctx, 1000.0)
    hasty = _stopper(ctx, 1e-9)
    for stop in (patient, hasty):
        assert not stop("y = x")  # the first token starts the clock
        assert not stop("y = x + 1")  # the first line is always finished
    assert not patient("y = x + 1\n    ")
    assert hasty("y = x + 1\n    ")  # a line ended after the time: stop
    assert not _stopper(ctx, 0.0)("y = x + 1\n    ")  # 0: no limit
    # The prompt took the time (a cold window): the first line is all there is time for.
    cold = _stopper(ctx, 0.8, since=time.monotonic() - 1.5)
    assert not cold("y = x + 1")
    assert cold("y = x + 1\n    ")
    assert not _stopper(ctx, 0.8, since=time.monotonic())("y = x + 1\n    ")
