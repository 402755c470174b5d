"""End to end with the real default model (Qwen2.5-Coder 0.5B instruct, Q4_K_M) on llama.cpp.

Marked `model`: skipped, with the reason, where the model is not in the cache. Assertions are about
what the model must get right (an obvious line) and loose upper bounds on cancellation.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from infilld.backends.base import GenerationRequest, StopReason
from infilld.backends.llama import LlamaBackend
from infilld.config import Settings, load_settings
from infilld.engine.completer import (
    FOLLOW_CACHE_KEY,
    FOLLOW_DELAY_S,
    CompletionEngine,
    CompletionRequest,
)
from infilld.engine.prompt import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX, layout_repo_head
from infilld.engine.repo_context import RepoContext
from infilld.models.fetch import ensure_model

pytestmark = pytest.mark.model

# The machine may be busy (2 shared cores): correctness tests get a generous wall-clock cap.
PATIENT = {"completion": {"timeoutMs": 120000}}
ADD = "def add(a, b):\n    return a\n\n\nprint(add(1, 2))\n"
# A long, regular continuation: the model keeps counting for hundreds of tokens.
COUNTING = "NUMBERS = [\n" + "".join(f"    {i},\n" for i in range(1, 9)) + "    "


@pytest.fixture(scope="module")
def llama() -> Iterator[LlamaBackend]:
    backend = LlamaBackend(ensure_model(Settings().model.name), Settings().model)
    backend.submit(backend.load).result()
    yield backend
    backend.close()


def test_complete_command_finishes_an_obvious_line(tmp_path: Path) -> None:
    src = tmp_path / "calc.py"
    src.write_text(ADD, encoding="utf-8")
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps(PATIENT), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "infilld", "complete", str(src), "--line", "2", "--column", "13",
         "--settings", str(settings)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "+ b" in proc.stdout.splitlines()[0]
    assert "generated" in proc.stderr  # the stats line goes to stderr, not into the suggestion


async def test_engine_reuses_the_kv_cache_while_typing(llama: LlamaBackend) -> None:
    body = "".join(f"    value_{i} = compute({i}, scale=2)\n" for i in range(16))
    doc = f"def main():\n{body}    total = \n\n\ndef other():\n    pass\n"
    cursor = doc.index("    total = \n") + len("    total = ")
    path = Path("/w/m.py")
    settings, _ = load_settings({"completion": {"timeoutMs": 120000, "maxTokens": 6}})
    engine = CompletionEngine(llama, settings)
    await engine.complete(CompletionRequest(path=path, text=doc, offset=cursor))
    assert llama_last(engine).prompt_tokens > 200
    assert llama_last(engine).evaluated_tokens > 200
    for ch in "val":  # typing: each request evaluates only the newly typed text
        doc = doc[:cursor] + ch + doc[cursor:]
        cursor += 1
        engine.forget(path)  # no typed-through cache: ask the model every time
        await engine.complete(CompletionRequest(path=path, text=doc, offset=cursor))
        last = llama_last(engine)
        assert last.source == "model"
        assert last.evaluated_tokens <= 8, last


def test_cached_runs_moved_down_need_no_evaluation_and_keep_answers_right(
    llama: LlamaBackend,
) -> None:
    lines = [f"    value_{i} = compute({i}, scale=2)\n" for i in range(100)]

    def window(first: int) -> list[Any]:
        before = "def main():\n" + "".join(lines[first:]) + "    value_100 = compute("
        return [FIM_PREFIX, before, FIM_SUFFIX, "\n\nmain()\n", FIM_MIDDLE]

    llama.submit(lambda: llama.prefill(window(0))).result()
    reused = llama.reused_tokens
    # The window lost its first 40 lines (the cursor moved down): the other 60 are moved down in
    # the KV cache (llama.cpp shifts their positions), not evaluated again.
    gen = GenerationRequest(prompt=window(40), max_tokens=8)
    result = llama.submit(lambda: llama.generate(gen)).result()
    assert llama.reused_tokens - reused > 500
    assert result.evaluated_tokens < 20, result
    assert result.text.startswith("100, scale=2)"), result.text


async def test_the_repository_block_follows_the_cursor_without_costing_a_request(
    llama: LlamaBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two regions of a file that look like two other files: a request in the second region is
    # answered with the block in use, the block follows once the model is idle, and neither a
    # request that interrupts that prefill nor one after it evaluates the prompt again. A request
    # that interrupts a follow whose prefill already holds the new block takes that block over.
    (tmp_path / "billing.py").write_text(
        "def charge(account, amount):\n    ledger = account.ledger()\n"
        "    ledger.debit(amount, memo='charge')\n    return ledger.balance()\n"
    )
    (tmp_path / "plotting.py").write_text(
        "def draw(canvas, points):\n    pen = canvas.pen(width=2)\n"
        "    pen.polyline(points, closed=False)\n    return canvas.flush()\n"
    )
    steps = "".join(f"    step_{i} = prepare({i}, scale=2)\n" for i in range(60))
    doc = (
        "def bill(account, amount):\n    ledger = account.ledger()\n"
        f"    ledger.debit(amount, memo='bill')\n    return \n\n\ndef steps():\n{steps}\n\n"
        "def plot(canvas, points):\n    pen = canvas.pen(width=1)\n"
        "    pen.polyline(points, closed=True)\n    return \n"
    )
    path = tmp_path / "main.py"
    path.write_text(doc)
    at_bill = doc.index("    return \n") + len("    return ")
    at_plot = doc.rindex("    return \n") + len("    return ")
    # A budget that holds one of the two files: the block depends on the cursor's region.
    settings, _ = load_settings(
        {"completion": {"timeoutMs": 120000, "maxTokens": 8}, "context": {"budgetTokens": 60}}
    )
    repo = RepoContext(settings.context, cache_dir=tmp_path / ".cache")
    repo.add_folder(tmp_path)
    assert repo.ready.wait(60)
    try:
        engine = CompletionEngine(llama, settings, repo.provide, follower=repo)
        count = llama.count_tokens

        def ask(offset: int, typed: str = "") -> CompletionRequest:
            text = doc[:offset] + typed + doc[offset:]
            engine._cache.clear()  # no typed-through answers: ask the model every time
            return CompletionRequest(
                path=path, text=text, offset=offset + len(typed), workspace_root=tmp_path
            )

        await engine.complete(ask(at_bill))
        first = repo.provide(path, doc, at_bill, 60, count)
        assert any(s.path == "billing.py" for s in first)
        await engine.complete(ask(at_plot))  # a new region: served with the block in use
        assert repo.provide(path, doc, at_plot, 60, count) is first
        await asyncio.sleep(FOLLOW_DELAY_S)
        for _ in range(1000):  # interrupt the follow's prefill as soon as it starts
            if engine._prefill_cancel is not None:
                break
            await asyncio.sleep(0.005)
        await engine.complete(ask(at_plot, "c"))
        assert engine.stats.follows_interrupted == 1
        assert llama_last(engine).evaluated_tokens <= 8  # the saved state came back
        await engine.drain()
        assert engine.stats.follows == 1
        followed = repo.provide(path, doc, at_plot, 60, count)
        assert any(s.path == "plotting.py" for s in followed)
        await engine.complete(ask(at_plot, "ca"))
        assert llama_last(engine).evaluated_tokens <= 8  # the prefill left it in the cache

        # Back in the first region. Hold the follow's prefill once it has evaluated the new
        # block, until a request interrupts it: that request takes the block over.
        at_bill_typed = ask(at_bill, "x")
        held = threading.Event()
        head_tokens: list[int] = []
        evaluate = llama._eval

        def evaluate_then_hold(tokens: list[int], cancel: Any) -> bool:
            done = evaluate(tokens, cancel)
            if llama._key == FOLLOW_CACHE_KEY and cancel is not None:
                if not head_tokens:
                    offered = repo.offered(path, at_bill_typed.text, at_bill_typed.offset)
                    assert offered is not None
                    head = layout_repo_head(path="main.py", repo_name=tmp_path.name,
                                            snippets=offered)  # fmt: skip
                    head_tokens.append(len(llama.encode(head)))
                if llama._require().n_tokens >= head_tokens[0]:
                    held.set()
                    cancel.wait(60)
            return done

        monkeypatch.setattr(llama, "_eval", evaluate_then_hold)
        await engine.complete(at_bill_typed)
        assert await asyncio.to_thread(held.wait, 60)
        await engine.complete(ask(at_bill, "xy"))
        assert engine.stats.follows_taken == 1 and engine.stats.follows == 1
        taken = llama_last(engine)
        # The block came from the follow's cache; only the window after it was evaluated.
        assert taken.evaluated_tokens <= taken.prompt_tokens - head_tokens[0]
        assert repo.provide(path, doc, at_bill, 60, count) != followed
        assert any(s.path == "billing.py" for s in repo.provide(path, doc, at_bill, 60, count))
    finally:
        repo.close()


def llama_last(engine: CompletionEngine) -> Any:
    assert engine.last is not None
    return engine.last


# Deep indentation inside a call's parentheses: spelled again token by token, the 32 spaces led
# the model into a run of single spaces until its token limit (healing.py).
QUEUE_BEFORE = """class Player:
    async def _pump(self, source, out_queue):
        pending = []
        async for frame in source:
            if frame is not None:
                pending.append(frame)
                if len(pending) >= self.batch:
                    samples = self._decode(pending)
                    if self.settings.normalize:
                        samples = self.settings.normalize(samples)
                    await out_queue.put(
"""
QUEUE_AFTER = """
                    )  # hand over to the consumer
                    pending = []
        if pending:
            samples = self._decode(pending)
            await out_queue.put(PlayerEventSamples(data=samples))
"""


def test_code_starts_where_the_indentation_at_the_cursor_ends(llama: LlamaBackend) -> None:
    request = GenerationRequest(
        prompt=[FIM_PREFIX, QUEUE_BEFORE, FIM_SUFFIX, QUEUE_AFTER, FIM_MIDDLE, " " * 32],
        max_tokens=8, cancel=threading.Event(), heal=True,
    )  # fmt: skip
    result = llama.submit(lambda: llama.generate(request)).result(timeout=120)
    assert result.text[:1].strip(), f"blank after the indentation: {result.text!r}"


def test_cancel_stops_generation_within_a_token_or_two(llama: LlamaBackend) -> None:
    cancel = threading.Event()
    seen: list[str] = []  # the text after each generated token

    def progress(text: str) -> bool:
        seen.append(text)
        return False

    request = GenerationRequest(
        prompt=[FIM_PREFIX, COUNTING, FIM_SUFFIX, "\n]\n", FIM_MIDDLE],
        max_tokens=600, cancel=cancel, should_stop=progress,
    )  # fmt: skip
    future = llama.submit(lambda: llama.generate(request))
    deadline = time.monotonic() + 120
    while len(seen) < 10:  # generation well under way (600 tokens take ~30 s)
        assert not future.done(), f"the model stopped by itself after {seen[-1:]!r}"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    at_cancel = len(seen)
    t0 = time.monotonic()
    cancel.set()
    result = future.result(timeout=60)
    stopped_in = time.monotonic() - t0
    assert result.stop_reason is StopReason.CANCELLED
    assert result.generated_tokens - at_cancel <= 2, (at_cancel, result.generated_tokens)
    assert stopped_in < 5, f"{stopped_in:.2f} s after cancel"
    assert "9," in result.text  # it was really counting


async def test_real_completion_over_lsp_stdio(lsp_server: Any) -> None:
    async with lsp_server(options=PATIENT) as client:
        assert client.statuses[-1]["state"] == "ready", client.statuses[-1]
        uri = "file:///project/calc.py"
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=ADD
                )
            )
        )
        result = await asyncio.wait_for(
            client.text_document_inline_completion_async(inline_params(uri, 1, 12)), 120
        )
        assert isinstance(result, types.InlineCompletionList)
        assert result.items and "+ b" in str(result.items[0].insert_text)


async def test_cancel_over_lsp_frees_the_model_at_once(lsp_server: Any) -> None:
    options = {"completion": {"timeoutMs": 120000, "maxTokens": 1024, "maxLines": 200,
                              "multiline": "always", "multilineMs": 0}}  # fmt: skip
    async with lsp_server(options=options) as client:
        assert client.statuses[-1]["state"] == "ready"
        slow = "file:///project/numbers.py"
        doc = COUNTING + "\n]\n"
        for uri, text in ((slow, doc), ("file:///project/calc.py", ADD)):
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=uri, language_id="python", version=1, text=text
                    )
                )
            )
        pending = asyncio.ensure_future(
            client.protocol.send_request_async(
                types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_params(slow, 9, 4), msg_id="count"
            )
        )
        await asyncio.sleep(3)
        assert not pending.done(), "the model finished by itself; the test needs a longer one"
        client.cancel_request(types.CancelParams(id="count"))
        with pytest.raises(JsonRpcException) as info:
            await asyncio.wait_for(pending, 5)
        assert info.value.code == -32800
        # the uncancelled generation would hold the model for a minute or more (1024 tokens); the
        # next request normally takes a second or two, more on a busy machine
        t0 = time.monotonic()
        result = await asyncio.wait_for(
            client.text_document_inline_completion_async(
                inline_params("file:///project/calc.py", 1, 12)
            ),
            60,
        )
        assert isinstance(result, types.InlineCompletionList) and result.items
        assert time.monotonic() - t0 < 30


def inline_params(uri: str, line: int, character: int) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked
        ),
    )


def test_settings_used_here_are_valid() -> None:
    _, problems = load_settings({"completion": {"multiline": "always", "maxLines": 200}})
    assert problems == []
