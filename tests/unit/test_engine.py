"""CompletionEngine with the deterministic FakeBackend: suggestions, newest-wins cancellation, the
typed-through cache, KV-friendly anchors while typing, and deadlines that return complete lines."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infilld.backends import fake
from infilld.backends.base import GenerationRequest, GenerationResult, StopReason
from infilld.backends.fake import FakeBackend
from infilld.config import ContextSettings, Settings, load_settings
from infilld.engine.completer import (
    FOLLOW_CACHE_KEY,
    FOLLOW_DELAY_S,
    CompletionEngine,
    CompletionRequest,
)
from infilld.engine.prompt import Snippet, layout_repo_head, prompt_text

PATH = Path("/project/pkg/calc.py")
ADD = "def add(a, b):\n    return a + b\n\n\ndef add_again(a, b):\n    return a"


class RecordingBackend(FakeBackend):
    """The fake, keeping every generation request and result."""

    def __init__(self, delay_ms: float = 0) -> None:
        super().__init__(delay_ms=delay_ms, load_s=0)
        self.requests: list[GenerationRequest] = []
        self.results: list[GenerationResult] = []

    def generate(self, request: GenerationRequest) -> GenerationResult:
        self.requests.append(request)
        result = super().generate(request)
        self.results.append(result)
        return result


@pytest.fixture
def backend() -> Iterator[RecordingBackend]:
    b = RecordingBackend()
    b.load()
    yield b
    b.close()


def settings(**completion: object) -> Settings:
    s, problems = load_settings({"completion": completion})
    assert problems == []
    return s


def request(text: str, offset: int | None = None, **kw: object) -> CompletionRequest:
    return CompletionRequest(
        path=PATH, text=text, offset=len(text) if offset is None else offset, **kw
    )  # type: ignore[arg-type]


def scripted(monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    """Make the fake model answer `answer` whatever the prompt."""
    monkeypatch.setattr(fake, "_continue", lambda _prompt: answer)


async def test_completes_an_obvious_line(backend: RecordingBackend) -> None:
    engine = CompletionEngine(backend, Settings())
    s = await engine.complete(request(ADD))
    assert s is not None
    assert s.text == " + b"
    assert s.source == "model"
    assert s.stop_reason in ("stop_token", "caller")
    assert s.prompt_tokens > 10 and s.generated_tokens >= 1
    prompt = prompt_text(backend.requests[0].prompt)
    assert prompt.startswith("<|fim_prefix|>") and "<|fim_middle|>    return a" in prompt
    assert backend.requests[0].temperature == 0.0


async def test_no_suggestion_is_none(backend: RecordingBackend) -> None:
    engine = CompletionEngine(backend, Settings())
    assert await engine.complete(request("zzqx")) is None


async def test_newest_request_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    scripted(monkeypatch, " + ".join(f"term{i}" for i in range(200)))
    slow = RecordingBackend(delay_ms=20)  # the whole answer would take ~8 s
    slow.load()
    try:
        engine = CompletionEngine(slow, settings(maxTokens=1024, timeoutMs=60000))
        t0 = time.monotonic()
        first = asyncio.create_task(engine.complete(request("x = ")))
        while not slow.requests:  # the first generation is running on the owner thread
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        scripted(monkeypatch, "42\n")
        second = await engine.complete(request("y = "))
        assert await first is None
        assert second is not None and second.text == "42"
        assert slow.results[0].stop_reason is StopReason.CANCELLED
        assert slow.results[0].generated_tokens < 100
        assert time.monotonic() - t0 < 5
    finally:
        slow.close()


async def test_cancelling_the_task_stops_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    scripted(monkeypatch, " + ".join(f"term{i}" for i in range(200)))
    slow = RecordingBackend(delay_ms=20)
    slow.load()
    try:
        engine = CompletionEngine(slow, settings(maxTokens=1024, timeoutMs=60000))
        task = asyncio.create_task(engine.complete(request("x = ")))
        while not slow.requests:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # the owner thread is free again within a token or two
        t0 = time.monotonic()
        await asyncio.wrap_future(slow.submit(lambda: None))
        assert time.monotonic() - t0 < 1
        assert slow.results[0].stop_reason is StopReason.CANCELLED
        assert slow.results[0].generated_tokens < 100
    finally:
        slow.close()


async def test_typing_through_a_suggestion_is_served_from_the_cache(
    backend: RecordingBackend,
) -> None:
    engine = CompletionEngine(backend, Settings())
    first = await engine.complete(request(ADD))
    assert first is not None and first.text == " + b"
    for typed, rest in ((" ", "+ b"), (" +", " b"), (" + ", "b")):
        s = await engine.complete(request(ADD + typed))
        assert s is not None
        assert (s.text, s.source) == (rest, "cache")
    assert len(backend.requests) == 1
    # typed the whole suggestion: nothing left to suggest from the cache, the model is asked
    await engine.complete(request(ADD + " + b"))
    assert len(backend.requests) == 2


async def test_cache_needs_the_same_text_after_the_cursor(backend: RecordingBackend) -> None:
    engine = CompletionEngine(backend, Settings())
    await engine.complete(request(ADD))
    text = ADD + " \n# changed below"
    s = await engine.complete(request(text, len(ADD) + 1))
    assert s is None or s.source == "model"
    assert len(backend.requests) == 2


async def test_typing_something_else_asks_the_model(backend: RecordingBackend) -> None:
    engine = CompletionEngine(backend, Settings())
    await engine.complete(request(ADD))
    await engine.complete(request(ADD + " -"))
    assert len(backend.requests) == 2


async def test_forget_drops_cached_suggestions(backend: RecordingBackend) -> None:
    engine = CompletionEngine(backend, Settings())
    await engine.complete(request(ADD))
    engine.forget(PATH)
    await engine.complete(request(ADD + " "))
    assert len(backend.requests) == 2


async def test_consecutive_requests_while_typing_evaluate_few_tokens(
    backend: RecordingBackend,
) -> None:
    body = "".join(f"    value_{i} = compute({i}, scale=2)\n" for i in range(60))
    doc = f"def main():\n{body}\n    \n\n\ndef other():\n    pass\n"
    cursor = doc.index("    \n\n\ndef other") + 4
    engine = CompletionEngine(backend, Settings())
    evaluated = []
    for ch in "result = value_1 ":  # each pause is a cache miss (the fake has nothing to copy)
        doc = doc[:cursor] + ch + doc[cursor:]
        cursor += 1
        await engine.complete(request(doc, cursor))
        evaluated.append(backend.results[-1].evaluated_tokens)
    prompt_tokens = backend.results[-1].prompt_tokens
    assert evaluated[0] > 300  # the first request evaluates the whole prompt
    assert prompt_tokens > 300
    # later ones only the newly typed text (and the previous suggestion's tokens): a handful
    assert max(evaluated[1:]) <= 4, evaluated


async def test_a_line_typed_across_enter_keeps_the_prompt_prefix(
    backend: RecordingBackend,
) -> None:
    body = "".join(f"    item_{i} = load({i})\n" for i in range(40))
    doc = f"def main():\n{body}    \n    return None\n"
    cursor = doc.index("    \n    return None") + 4
    engine = CompletionEngine(backend, Settings())
    await engine.complete(request(doc, cursor))
    for ch in "x = 1\n    y":
        doc = doc[:cursor] + ch + doc[cursor:]
        cursor += 1
    await engine.complete(request(doc, cursor))
    assert backend.results[-1].evaluated_tokens < 20
    assert backend.results[-1].prompt_tokens > 200


async def test_deadline_returns_only_complete_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [f"value_{i} = {i}" for i in range(40)]
    scripted(monkeypatch, "\n    ".join(lines) + "\n")
    slow = RecordingBackend(delay_ms=40)  # each line is 6 tokens, about 0.25 s
    slow.load()
    try:
        engine = CompletionEngine(slow, settings(timeoutMs=700, maxLines=40, maxTokens=1024))
        s = await engine.complete(request("def f():\n    "))
        result = slow.results[-1]
        assert result.stop_reason is StopReason.DEADLINE
        assert s is not None, "at least one line fits in 0.7 s"
        got = s.text.split("\n    ")
        assert got == lines[: len(got)]  # whole lines only, nothing cut mid-line
        assert "value_" not in result.text[len(s.text) :].split("\n")[0]
        assert len(got) < len(lines)
    finally:
        slow.close()


async def test_token_cap_returns_only_complete_lines(
    monkeypatch: pytest.MonkeyPatch, backend: RecordingBackend
) -> None:
    scripted(monkeypatch, "alpha = 1\n    beta = 2\n    gamma = 3\n")
    engine = CompletionEngine(backend, settings(maxTokens=9))
    s = await engine.complete(request("def f():\n    "))
    assert backend.results[-1].stop_reason is StopReason.MAX_TOKENS
    assert s is not None and s.text == "alpha = 1"


async def test_single_line_stops_generation_early(
    monkeypatch: pytest.MonkeyPatch, backend: RecordingBackend
) -> None:
    scripted(monkeypatch, "+ 1\n" + "junk = 0\n" * 50)
    engine = CompletionEngine(backend, Settings())
    s = await engine.complete(request("total = count "))
    assert s is not None and s.text == "+ 1"
    assert backend.results[-1].stop_reason is StopReason.CALLER
    assert backend.results[-1].generated_tokens < 10


async def test_repository_context_reaches_the_prompt(backend: RecordingBackend) -> None:
    seen: list[tuple[Path, int]] = []

    def provider(path, text, offset, budget, count):  # type: ignore[no-untyped-def]
        seen.append((path, budget))
        return [Snippet("pkg/helpers.py", "def helper_function(x):\n    return x\n")]

    engine = CompletionEngine(backend, Settings(), context_provider=provider)
    s = await engine.complete(
        request("value = helper_", workspace_root=Path("/project"))  # type: ignore[arg-type]
    )
    assert seen == [(PATH, Settings().context.budget_tokens)]
    prompt = prompt_text(backend.requests[0].prompt)
    assert prompt.startswith("<|repo_name|>project\n<|file_sep|>pkg/helpers.py\n")
    assert "<|file_sep|>pkg/calc.py\n<|fim_prefix|>" in prompt
    assert s is not None and s.text == "function(x):"


async def test_a_failing_context_provider_does_not_fail_the_completion(
    backend: RecordingBackend,
) -> None:
    def broken(*_args):  # type: ignore[no-untyped-def]
        raise RuntimeError("index exploded")

    engine = CompletionEngine(backend, Settings(), context_provider=broken)
    s = await engine.complete(request(ADD))
    assert s is not None and s.text == " + b"
    assert "<|repo_name|>" not in prompt_text(backend.requests[0].prompt)


async def test_a_comment_or_string_gets_a_single_line_even_after_a_block_opener(
    backend: RecordingBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `# Steps:` ends with `:` like a block opener, but it is a comment: the suggestion finishes
    # that line instead of writing a block. A file without a grammar keeps the text rule.
    scripted(monkeypatch, " the plan\n        step_one()\n        step_two()")
    text = "def run():\n    # Steps:"
    engine = CompletionEngine(backend, settings(multiline="auto"))
    in_python = await engine.complete(request(text))
    assert in_python is not None
    assert in_python.text == " the plan"
    in_text = await engine.complete(
        CompletionRequest(path=Path("/project/notes.txt"), text=text, offset=len(text))
    )
    assert in_text is not None
    assert "\n" in in_text.text


class RegionFollower:
    """A ContextFollower whose block names the 10-line region of the cursor it was chosen at."""

    def __init__(self, filler_words: int = 0) -> None:
        self.in_use: dict[Path, list[Snippet]] = {}
        self.blocks: dict[str, list[Snippet]] = {}  # the blocks follow() offered, by region
        self.filler = " ".join(f"w{i}" for i in range(filler_words))

    def block(self, text: str, offset: int) -> list[Snippet]:
        region = text.count("\n", 0, offset) // 10 * 10
        return [Snippet("pkg/near.py", f"# code like line {region}\n# {self.filler}\n")]

    def provide(self, path, text, offset, budget, count):  # type: ignore[no-untyped-def]
        return self.in_use.setdefault(path, self.block(text, offset))

    def follow(self, path, text, offset, budget, count):  # type: ignore[no-untyped-def]
        want = self.block(text, offset)
        if want == self.in_use[path]:
            return None
        return self.blocks.setdefault(want[0].text, want)

    def offered(self, path, text, offset):  # type: ignore[no-untyped-def]
        found = self.blocks.get(self.block(text, offset)[0].text)
        return None if found is None or found is self.in_use.get(path) else found

    def adopt(self, path: Path, snippets: list[Snippet]) -> None:
        self.in_use[path] = snippets


LINES = "".join(f"value_{i} = compute({i})\n" for i in range(60))


def _engine(backend: RecordingBackend, follower: RegionFollower) -> CompletionEngine:
    return CompletionEngine(
        backend, Settings(), context_provider=follower.provide, follower=follower
    )


def _at(line: int, typed: str = "") -> CompletionRequest:
    text = LINES.replace(f"value_{line} = compute({line})\n", f"value_{line} = {typed}", 1)
    return request(text, text.index(f"value_{line} = ") + len(f"value_{line} = {typed}"))


async def test_the_block_follows_the_cursor_in_the_background(backend: RecordingBackend) -> None:
    follower = RegionFollower()
    engine = _engine(backend, follower)
    await engine.complete(_at(5))
    await engine.drain()
    assert engine.stats.follows == 0  # still the region the block was chosen in
    await engine.complete(_at(45))
    # The request in a new region did not wait for a new block: it used the one in use ...
    assert "code like line 0" in prompt_text(backend.requests[-1].prompt)
    await engine.drain()
    # ... and once the model was idle, the region's block was prefilled and adopted.
    assert engine.stats.follows == 1 and engine.stats.follow_tokens > 0
    await engine.complete(_at(45, "x"))
    assert "code like line 40" in prompt_text(backend.requests[-1].prompt)
    assert backend.results[-1].evaluated_tokens <= 3  # the prefill left it all in the cache


async def test_a_request_interrupts_the_follow_and_gets_its_cache_back(
    backend: RecordingBackend,
) -> None:
    follower = RegionFollower(filler_words=800)
    engine = _engine(backend, follower)
    await engine.complete(_at(5))
    await engine.complete(_at(45))
    full = backend.results[-1].prompt_tokens
    backend.prefill_chunk_delay = 0.02  # the new block's prefill takes a while
    await asyncio.sleep(FOLLOW_DELAY_S + 0.1)  # the follow starts after FOLLOW_DELAY_S of quiet
    assert engine._prefill_cancel is not None  # under way
    await engine.complete(_at(45, "x"))
    # The request cut the prefill short and used the block in use, whose KV state the backend
    # had saved before the prefill overwrote it: a copy back, not a re-evaluation.
    assert "code like line 0" in prompt_text(backend.requests[-1].prompt)
    assert backend.results[-1].evaluated_tokens <= 3
    assert engine.stats.follows_interrupted == 1 and engine.stats.follows == 0
    await engine.drain()
    # The next attempt went on from what the first one had evaluated.
    assert engine.stats.follows == 1
    assert engine.stats.follow_tokens < full + 50
    await engine.complete(_at(45, "xy"))
    assert "code like line 40" in prompt_text(backend.requests[-1].prompt)
    assert backend.results[-1].evaluated_tokens <= 3


async def _follow_holding_the_block(
    engine: CompletionEngine,
    backend: RecordingBackend,
    follower: RegionFollower,
    *,
    chunk_delay: float,
) -> int:
    """Requests at line 5, then line 45 (a new region); then wait until the follow's prefill has
    evaluated the region's new block, but not the window after it, which takes a while at
    `chunk_delay` seconds a chunk. Returns the block's head length in tokens."""
    await engine.complete(_at(5))
    await engine.complete(_at(45))
    backend.prefill_chunk_delay = chunk_delay
    block = follower.block(LINES, LINES.index("value_45"))
    head = len(fake._tokens(layout_repo_head(path=PATH.name, repo_name=None, snippets=block)))
    for _ in range(500):
        if backend._key == FOLLOW_CACHE_KEY and len(backend._cache) >= head:
            break
        await asyncio.sleep(0.01)
    return head


@pytest.mark.parametrize("context_off", [False, True])
async def test_a_request_takes_over_an_interrupted_follow_that_holds_the_block(
    backend: RecordingBackend, context_off: bool
) -> None:
    follower = RegionFollower()
    engine = _engine(backend, follower)
    head = await _follow_holding_the_block(engine, backend, follower, chunk_delay=0.03)
    assert engine._prefill_cancel is not None  # still under way
    if context_off:  # the user turned repository context off meanwhile: no block at all
        engine.settings = Settings(context=ContextSettings(enable=False))
        await engine.complete(_at(45, "x"))
        assert "code like" not in prompt_text(backend.requests[-1].prompt)
        assert engine.stats.follows_taken == 0
        return
    await engine.complete(_at(45, "x"))
    # The request took the region's block: the cache held it, and the window after either block
    # was new to the cache anyway.
    assert "code like line 40" in prompt_text(backend.requests[-1].prompt)
    result = backend.results[-1]
    assert result.evaluated_tokens < result.prompt_tokens - head
    assert engine.stats.follows_taken == 1 and engine.stats.follows_interrupted == 1
    assert follower.in_use[PATH][0].text.startswith("# code like line 40")
    await engine.drain()
    assert engine.stats.follows == 0  # nothing left to follow in this region
    await engine.complete(_at(45, "xy"))
    assert backend.results[-1].evaluated_tokens <= 3


class SlowToAnswerFollower(RegionFollower):
    """Once `hold` is set, provide() picks its block at once but answers only after an adopt."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = False
        self.calls = 0  # of provide() and offered(): a request has begun choosing its block
        self.adopted = threading.Event()

    def offered(self, path, text, offset):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().offered(path, text, offset)

    def provide(self, path, text, offset, budget, count):  # type: ignore[no-untyped-def]
        picked = super().provide(path, text, offset, budget, count)
        self.calls += 1
        if self.hold:
            self.adopted.wait(10)
        return picked

    def adopt(self, path: Path, snippets: list[Snippet]) -> None:
        super().adopt(path, snippets)
        self.adopted.set()


async def test_a_request_never_uses_the_block_a_concurrent_take_over_replaced(
    backend: RecordingBackend,
) -> None:
    follower = SlowToAnswerFollower()
    engine = _engine(backend, follower)
    await _follow_holding_the_block(engine, backend, follower, chunk_delay=0.05)
    calls = follower.calls
    first = asyncio.create_task(engine.complete(_at(45, "x")))
    while follower.calls == calls:  # the first request is choosing its block: it will take the
        await asyncio.sleep(0.001)  # follow's over
    follower.hold = True  # the second, if it asks the provider, gets its answer after that
    await engine.complete(_at(45, "xy"))
    assert await first is None  # superseded
    assert engine.stats.follows_taken == 1
    # The second request did not lay its prompt out with the old block, whose KV state the
    # take-over had dropped.
    assert "code like line 40" in prompt_text(backend.requests[-1].prompt)


async def test_a_pause_in_a_new_region_prefills_with_the_regions_block(
    backend: RecordingBackend,
) -> None:
    # An edit with no request after it arms the pause prefill. In a new region that prefill is
    # the follow: evaluating the window after the old block would be thrown away when it moves.
    follower = RegionFollower()
    engine = _engine(backend, follower)
    await engine.complete(_at(5))
    before = backend.prefills
    engine.note_edit(_at(45))
    await engine.drain()
    assert engine.stats.follows == 1
    assert backend.prefills - before == 1  # the follow's prefill only
    assert follower.in_use[PATH][0].text.startswith("# code like line 40")


async def test_a_cursor_at_rest_prefills_there_and_moves_the_block(
    backend: RecordingBackend,
) -> None:
    follower = RegionFollower()
    engine = _engine(backend, follower)
    before = backend.prefills
    engine.note_cursor(request(LINES, LINES.index("value_3 ")))  # before the file's first request
    await engine.drain()
    assert backend.prefills - before == 1 and engine.stats.follows == 0  # a plain prefill
    await engine.complete(_at(5))
    engine.note_cursor(_at(5))  # where the request left it: nothing to do
    await engine.drain()
    assert engine.stats.follows == 0 and backend.prefills - before == 1
    engine.note_cursor(request(LINES, LINES.index("value_45 ")))  # a click far below
    await engine.drain()
    assert engine.stats.follows == 1
    assert follower.in_use[PATH][0].text.startswith("# code like line 40")
