"""`infilld serve --backend fake` as a subprocess, driven over stdio by pytest-lsp."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

LspFactory = Any  # the `lsp_server` fixture of tests/conftest.py
SERVE = [sys.executable, "-m", "infilld", "serve"]

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning")

FAKE = ("--backend", "fake")
URI = "file:///project/calc.py"
ADD = "def add(a, b):\n    return a + b\n\n\ndef add_again(a, b):\n    return a\n"
AT_RETURN_A = types.Position(line=5, character=12)  # after "    return a"


def open_doc(client: LanguageClient, uri: str, text: str, language: str = "python") -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=text
            )
        )
    )


def change(client: LanguageClient, uri: str, version: int, start: types.Position,
           end: types.Position, text: str) -> None:  # fmt: skip
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(range=types.Range(start, end), text=text)
            ],
        )
    )


def inline_params(uri: str, pos: types.Position) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=pos,
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
    )


async def inline(client: LanguageClient, uri: str, pos: types.Position) -> list[str]:
    result = await asyncio.wait_for(
        client.text_document_inline_completion_async(inline_params(uri, pos)), 20
    )
    assert isinstance(result, types.InlineCompletionList), result
    for item in result.items:
        assert item.range == types.Range(pos, pos)
    return [i.insert_text if isinstance(i.insert_text, str) else i.insert_text.value
            for i in result.items]  # fmt: skip


async def completion(client: LanguageClient, uri: str, pos: types.Position) -> types.CompletionList:
    result = await asyncio.wait_for(
        client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=pos
            )
        ),
        20,
    )
    assert isinstance(result, types.CompletionList), result
    return result


# -- lifecycle and the main path ------------------------------------------------------------------


async def test_initialize_advertises_inline_and_completion(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE) as client:
        result: types.InitializeResult = client.init_result  # type: ignore[attr-defined]
        caps = result.capabilities
        assert caps.inline_completion_provider is not None
        assert caps.completion_provider is not None
        sync = caps.text_document_sync
        assert isinstance(sync, types.TextDocumentSyncOptions)
        assert sync.change == types.TextDocumentSyncKind.Incremental and sync.open_close
        assert result.server_info is not None and result.server_info.name == "infilld"
        assert client.statuses[-1]["state"] == "ready"  # type: ignore[attr-defined]


async def test_shutdown_and_exit_end_the_process(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE) as client:
        proc = client._server
        assert proc is not None
        await client.shutdown_session()
        assert proc.returncode == 0


async def test_inline_completion_after_incremental_changes(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE) as client:
        text = ADD.replace("    return a\n", "    ret\n")
        open_doc(client, URI, text)
        # type "urn a" at the end of "    ret" in two incremental edits
        change(client, URI, 2, types.Position(5, 7), types.Position(5, 7), "urn")
        change(client, URI, 3, types.Position(5, 10), types.Position(5, 10), " a")
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]
        # a replacing edit (not an insertion) is applied too
        change(client, URI, 4, types.Position(5, 4), types.Position(5, 12), "return a - ")
        assert await inline(client, URI, types.Position(5, 15)) == []


async def test_completion_fallback_for_a_client_without_inline(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE, capabilities="plain") as client:
        open_doc(client, URI, ADD)
        result = await completion(client, URI, AT_RETURN_A)
        assert len(result.items) == 1
        item = result.items[0]
        assert isinstance(item.text_edit, types.TextEdit)
        assert item.text_edit.new_text == " + b"
        assert item.text_edit.range == types.Range(AT_RETURN_A, AT_RETURN_A)
        assert item.label == "+ b"
        # this client declared no documentation formats: markdown is not allowed
        assert item.documentation == " + b"


async def test_completion_is_empty_for_a_client_with_inline(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE, capabilities="inline") as client:
        open_doc(client, URI, ADD)
        assert len((await completion(client, URI, AT_RETURN_A)).items) == 0
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]


async def test_stats_report_requests_and_the_process_memory(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE) as client:
        open_doc(client, URI, ADD)
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]
        raw = await client.protocol.send_request_async("infilld/stats", {"recent": 5})
        stats = raw._asdict() if hasattr(raw, "_asdict") else raw
        assert stats["ready"] and stats["modelRequests"] == 1
        mem = stats["memory"]
        mem = mem._asdict() if hasattr(mem, "_asdict") else mem
        assert mem["rssMb"] > 10 and mem["pythonBlocks"] > 1000
        if sys.platform.startswith("linux"):
            assert mem["heapInUseMb"] > 0 and mem["heapFreeMb"] >= 0


async def test_notifications_leave_nothing_behind(lsp_server: LspFactory) -> None:
    # pygls kept a future per didOpen/didChange/didClose for the server's lifetime.
    async with lsp_server(*FAKE) as client:
        open_doc(client, URI, ADD)
        for i in range(30):  # type an "x" and delete it again
            change(client, URI, 2 * i + 2, AT_RETURN_A, AT_RETURN_A, "x")
            change(client, URI, 2 * i + 3, AT_RETURN_A, types.Position(5, 13), "")
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]
        raw = await client.protocol.send_request_async("infilld/stats", {"recent": 0})
        stats = raw._asdict() if hasattr(raw, "_asdict") else raw
        assert stats["pendingRequests"] == 0


async def test_a_cursor_at_rest_is_prefilled_and_bad_cursor_reports_are_ignored(
    lsp_server: LspFactory,
) -> None:
    # `infilld/cursor`: the editor says where the cursor came to rest without an edit; the
    # server prefills there. Where a request already left it, nothing more is done.
    async with lsp_server(*FAKE) as client:
        open_doc(client, URI, ADD)
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]

        async def prefills() -> int:
            raw = await client.protocol.send_request_async("infilld/stats", {"recent": 0})
            stats = raw._asdict() if hasattr(raw, "_asdict") else raw
            return int(stats["prefills"])

        before = await prefills()

        def cursor(params: object) -> None:
            client.protocol.notify("infilld/cursor", params)

        cursor({"textDocument": {"uri": URI}, "position": {"line": 5, "character": 12}})
        await asyncio.sleep(0.6)
        assert await prefills() == before  # where the request left it
        for bad in (
            {"textDocument": {"uri": URI}},
            {"textDocument": {"uri": 7}, "position": {"line": 0, "character": 0}},
            {"textDocument": {"uri": "file:///never/opened.py"},
             "position": {"line": 0, "character": 0}},
            {"textDocument": {"uri": URI}, "position": {"line": 99, "character": -4}},
        ):  # fmt: skip
            cursor(bad)
        cursor({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 4}})
        for _ in range(50):
            if await prefills() > before:
                break
            await asyncio.sleep(0.1)
        assert await prefills() > before
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]  # still serving


# -- cancellation ---------------------------------------------------------------------------------

LONG = "    total = " + " + ".join(f"part_{i}" for i in range(60))  # ~240 tokens: 48 s at 200 ms
SLOW_DOC = f"def f():\n{LONG}\n\n\ndef g():\n    total = \n"
AT_TOTAL = types.Position(line=5, character=12)
SLOW_OPTIONS = {"completion": {"timeoutMs": 120000, "maxTokens": 1024}}


async def test_cancel_request_stops_generation(lsp_server: LspFactory) -> None:
    env = {"INFILLD_FAKE_DELAY_MS": "200"}
    async with lsp_server(*FAKE, env=env, options=SLOW_OPTIONS) as client:
        open_doc(client, URI, SLOW_DOC)
        pending = asyncio.ensure_future(
            client.protocol.send_request_async(
                types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_params(URI, AT_TOTAL), msg_id="slow-1"
            )
        )
        await asyncio.sleep(0.8)  # generating by now, a few tokens in
        assert not pending.done()
        t0 = time.monotonic()
        client.cancel_request(types.CancelParams(id="slow-1"))
        with pytest.raises(JsonRpcException) as info:
            await asyncio.wait_for(pending, 5)
        assert info.value.code == -32800  # RequestCancelled
        assert time.monotonic() - t0 < 5
        # the model thread is free again: the next (short) request is answered at once, not after
        # the ~48 s the cancelled generation would still have taken
        t0 = time.monotonic()
        assert await inline(client, URI, AT_RETURN_A_IN_SLOW_DOC) == []  # nothing to copy there
        open_doc(client, "file:///project/add.py", ADD)
        assert await inline(client, "file:///project/add.py", AT_RETURN_A) == [" + b"]
        assert time.monotonic() - t0 < 10


AT_RETURN_A_IN_SLOW_DOC = types.Position(line=0, character=0)


async def test_a_new_request_supersedes_a_running_one(lsp_server: LspFactory) -> None:
    env = {"INFILLD_FAKE_DELAY_MS": "200"}
    async with lsp_server(*FAKE, env=env, options=SLOW_OPTIONS) as client:
        open_doc(client, URI, SLOW_DOC)
        open_doc(client, "file:///project/add.py", ADD)
        first = asyncio.ensure_future(
            client.text_document_inline_completion_async(inline_params(URI, AT_TOTAL))
        )
        await asyncio.sleep(0.8)
        t0 = time.monotonic()
        second = await inline(client, "file:///project/add.py", AT_RETURN_A)
        assert second == [" + b"]
        result = await asyncio.wait_for(first, 5)  # answered (empty), not left hanging
        assert isinstance(result, types.InlineCompletionList) and len(result.items) == 0
        assert time.monotonic() - t0 < 10


# -- positions ------------------------------------------------------------------------------------

EMOJI_DOC = "a = '😀😀' + first_name\nb = '😀😀' + first_ # tail\n"


async def test_utf16_positions_on_emoji_lines(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE) as client:
        open_doc(client, URI, EMOJI_DOC)
        line = EMOJI_DOC.split("\n")[1]
        chars = line.index(" # tail")  # code points before the cursor
        pos = types.Position(line=1, character=chars + 2)  # two emoji: two extra UTF-16 units
        assert await inline(client, URI, pos) == ["name"]
        # an edit addressed in UTF-16 lands after the emoji, not inside them
        change(client, URI, 2, pos, pos, "na")
        after = types.Position(line=1, character=chars + 4)
        assert await inline(client, URI, after) == ["me"]


# -- bad input ------------------------------------------------------------------------------------


async def test_bad_input_gets_empty_results_and_the_server_stays_up(
    lsp_server: LspFactory,
) -> None:
    async with lsp_server(*FAKE) as client:
        # a document that was never opened
        assert await inline(client, "file:///nowhere/unknown.py", AT_RETURN_A) == []
        # positions past the end of the line and of the file clamp
        open_doc(client, URI, ADD)
        assert await inline(client, URI, types.Position(line=5, character=500)) == [" + b"]
        await inline(client, URI, types.Position(line=500, character=3))
        # an empty file
        open_doc(client, "file:///project/empty.py", "")
        assert await inline(client, "file:///project/empty.py", types.Position(0, 0)) == []
        # binary-ish text
        binary = "\x00\x01\x02ELF\x00" * 200 + ADD
        open_doc(client, "file:///project/blob.bin", binary, "plaintext")
        assert await inline(client, "file:///project/blob.bin", types.Position(205, 12)) == []
        # an unknown language id is served like any text
        open_doc(client, "file:///project/calc.zz", ADD, "no-such-language")
        assert await inline(client, "file:///project/calc.zz", AT_RETURN_A) == [" + b"]
        # a 3 MB document: empty, and quickly
        big = ("x = 1  # filler line for a big generated file\n" * 66_000) + ADD
        assert len(big) > 3_000_000
        open_doc(client, "file:///project/big.py", big)
        t0 = time.monotonic()
        assert await inline(client, "file:///project/big.py", types.Position(66_005, 12)) == []
        assert time.monotonic() - t0 < 5
        # still answering normally afterwards
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]


async def test_untitled_document(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE) as client:
        open_doc(client, "untitled:Untitled-1", ADD)
        assert await inline(client, "untitled:Untitled-1", AT_RETURN_A) == [" + b"]


async def test_closed_document_gets_no_suggestions(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE) as client:
        open_doc(client, URI, ADD)
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=URI))
        )
        assert await inline(client, URI, AT_RETURN_A) == []


# -- settings, model problems, progress -----------------------------------------------------------


async def test_invalid_settings_warn_and_use_defaults(lsp_server: LspFactory) -> None:
    options = {"completion": {"enable": "yes please", "maxTokens": -3}, "colour": "blue"}
    async with lsp_server(*FAKE, options=options) as client:
        warnings = [m for m in client.messages if m.type == types.MessageType.Warning]
        text = "\n".join(m.message for m in warnings)
        assert "completion.enable" in text and "completion.maxTokens" in text
        assert "colour" in text
        assert len(warnings) == 3
        # the defaults are in force: completions are enabled
        open_doc(client, URI, ADD)
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]


async def test_completions_can_be_disabled_by_settings(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE, options={"completion": {"enable": False}}) as client:
        assert client.messages == []
        open_doc(client, URI, ADD)
        assert await inline(client, URI, AT_RETURN_A) == []


async def test_missing_model_reports_an_error_and_keeps_serving(
    lsp_server: LspFactory, status_of: Any
) -> None:
    args = ("--backend", "llama", "--model", "/nonexistent/model.gguf")
    async with lsp_server(*args) as client:
        status = await status_of(client)
        assert status["state"] == "error"
        assert "/nonexistent/model.gguf" in status["message"]
        errors = [m for m in client.messages if m.type == types.MessageType.Error]
        assert len(errors) == 1 and "/nonexistent/model.gguf" in errors[0].message
        open_doc(client, URI, ADD)
        for _ in range(2):  # answered every time, and the message is not repeated
            assert await inline(client, URI, AT_RETURN_A) == []
        assert len(client.messages) == 1


async def test_corrupt_model_file_is_never_loaded(
    lsp_server: LspFactory, status_of: Any, tmp_path: Any
) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"this is not a model")
    async with lsp_server("--backend", "llama", "--model", str(bad)) as client:
        status = await status_of(client)
        assert status["state"] == "error" and "not a GGUF" in status["message"]
        open_doc(client, URI, ADD)
        assert await inline(client, URI, AT_RETURN_A) == []


async def test_load_progress_is_reported(lsp_server: LspFactory, status_of: Any) -> None:
    env = {"INFILLD_FAKE_LOAD_S": "1"}
    async with lsp_server(*FAKE, env=env, ready=False) as client:
        await status_of(client, ("loading",))
        open_doc(client, URI, ADD)
        # asked while loading: an empty answer, not an error and not a wait for the model
        t0 = time.monotonic()
        assert await inline(client, URI, AT_RETURN_A) == []
        assert time.monotonic() - t0 < 0.9
        await status_of(client, ("ready",))
        await asyncio.sleep(0.1)
        assert len(client.progress_reports) == 1
        (reports,) = client.progress_reports.values()
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
        middle = [r for r in reports if isinstance(r, types.WorkDoneProgressReport)]
        percentages = [r.percentage for r in middle]
        assert len(middle) >= 3 and percentages == sorted(percentages) and percentages[-1] == 100
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]


async def test_no_progress_for_a_client_without_support(
    lsp_server: LspFactory, status_of: Any
) -> None:
    async with lsp_server(
        *FAKE, capabilities="plain", env={"INFILLD_FAKE_LOAD_S": "0.2"}
    ) as client:
        assert (await status_of(client))["state"] == "ready"
        assert client.progress_reports == {}


async def test_model_change_in_configuration_reloads(
    lsp_server: LspFactory, status_of: Any
) -> None:
    async with lsp_server(*FAKE) as client:
        client.statuses.clear()
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"infilld": {"model": {"backend": "fake", "threads": 3}}}
            )
        )
        assert (await status_of(client, ("loading",)))["state"] == "loading"
        assert (await status_of(client, ("ready",)))["state"] == "ready"
        open_doc(client, URI, ADD)
        assert await inline(client, URI, AT_RETURN_A) == [" + b"]


# -- the raw wire ---------------------------------------------------------------------------------


def frame(payload: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(payload) + payload


def message(obj: dict[str, Any]) -> bytes:
    return frame(json.dumps(obj).encode())


async def read_message(stdout: asyncio.StreamReader, timeout: float = 10) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        length = 0
        while (line := await stdout.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return dict(json.loads(await stdout.readexactly(length)))

    return await asyncio.wait_for(read(), timeout)


async def response_to(
    stdout: asyncio.StreamReader, msg_id: int, seen: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The response to request `msg_id`; other messages read on the way go into `seen`."""
    while True:
        msg = await read_message(stdout)
        if msg.get("id") == msg_id and "method" not in msg:
            return msg
        if seen is not None:
            seen.append(msg)


async def raw_server(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *SERVE, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env={**os.environ, **(env or {})},
    )  # fmt: skip


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"processId": None, "rootUri": None, "capabilities": {}}}  # fmt: skip
INITIALIZED = {"jsonrpc": "2.0", "method": "initialized", "params": {}}


def did_open(text: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": URI, "languageId": "python", "version": 1, "text": text}}}  # fmt: skip


def inline_request(msg_id: int, line: int, character: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/inlineCompletion",
            "params": {"textDocument": {"uri": URI}, "position": {"line": line, "character": character},
                       "context": {"triggerKind": 1}}}  # fmt: skip


async def test_garbage_on_the_wire_does_not_kill_the_server() -> None:
    proc = await raw_server(*FAKE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(message(INIT))
        assert "result" in await response_to(proc.stdout, 1)
        proc.stdin.write(message(INITIALIZED) + message(did_open(ADD)))
        for junk in (
            frame(b"{this is not json"),
            frame(b"[1, 2, 3]"),
            frame(b'{"jsonrpc": "2.0", "id": 7, "method": "textDocument/inlineCompletion", '
                  b'"params": {"position": "nowhere"}}'),
            frame(b'{"jsonrpc": "2.0", "id": 8, "method": "no/such/method", "params": {}}'),
            frame(b"\xff\xfe\x00garbage bytes\x80"),
        ):  # fmt: skip
            proc.stdin.write(junk)
        proc.stdin.write(message(inline_request(9, 5, 12)))
        await proc.stdin.drain()
        seen: list[dict[str, Any]] = []
        assert (await response_to(proc.stdout, 7, seen))["error"]["code"] == -32602
        assert (await response_to(proc.stdout, 8, seen))["error"]["code"] == -32601
        answer = await response_to(proc.stdout, 9, seen)
        assert answer["result"]["items"][0]["insertText"] == " + b"
        assert proc.returncode is None
        # the user hears about it once, not once per bad message
        shown = [m for m in seen if m.get("method") == "window/showMessage"]
        assert len(shown) == 1, shown
    finally:
        proc.kill()
        await proc.wait()


async def test_invalid_params_get_an_error_response() -> None:
    proc = await raw_server(*FAKE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(message(INIT))
        await response_to(proc.stdout, 1)
        proc.stdin.write(message(INITIALIZED))
        proc.stdin.write(message({"jsonrpc": "2.0", "id": 2, "method": "textDocument/inlineCompletion",
                                  "params": {"position": "nowhere"}}))  # fmt: skip
        proc.stdin.write(
            message({"jsonrpc": "2.0", "id": 3, "method": "no/such/method", "params": {}})
        )
        await proc.stdin.drain()
        assert "error" in await response_to(proc.stdout, 2)
        assert (await response_to(proc.stdout, 3))["error"]["code"] == -32601
    finally:
        proc.kill()
        await proc.wait()


async def test_client_disconnect_mid_request_ends_the_process() -> None:
    proc = await raw_server(*FAKE, env={"INFILLD_FAKE_DELAY_MS": "200"})
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(message(INIT))
    await response_to(proc.stdout, 1)
    opts = {"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration",
            "params": {"settings": {"infilld": SLOW_OPTIONS}}}  # fmt: skip
    proc.stdin.write(message(INITIALIZED) + message(opts) + message(did_open(SLOW_DOC)))
    await asyncio.sleep(0.5)  # loaded
    proc.stdin.write(message(inline_request(2, AT_TOTAL.line, AT_TOTAL.character)))
    await proc.stdin.drain()
    await asyncio.sleep(0.8)  # generating (48 s of tokens ahead)
    t0 = time.monotonic()
    proc.stdin.close()  # the editor went away without shutdown/exit
    try:
        code = await asyncio.wait_for(proc.wait(), 10)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail("the server kept running after its client disconnected")
    assert time.monotonic() - t0 < 10
    assert code is not None
