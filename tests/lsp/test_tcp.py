"""`infilld serve --tcp`: listens on 127.0.0.1, and a client gets completions over the socket."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp.client import make_test_lsp_client

ADD = "def add(a, b):\n    return a + b\n\n\ndef add_again(a, b):\n    return a\n"
URI = "file:///project/calc.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listeners(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp) listening on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as fh:
            for row in fh.readlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                addr, _, hexport = local.partition(":")
                if int(hexport, 16) == port and state == "0A":
                    found.append(addr)
    return found


async def wait_listening(port: int, timeout: float = 20) -> list[str]:
    """Wait for the server to listen, without connecting (a connection that closes ends it)."""
    deadline = time.monotonic() + timeout
    while not (found := listeners(port)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on port {port}")
        await asyncio.sleep(0.1)
    return found


async def complete_once(port: int) -> list[str]:
    """One client session over TCP: initialize, open, ask until the model is ready, exit."""
    client = make_test_lsp_client()
    try:
        # No retry on a refused connection: the listener exists once wait_listening saw it, and
        # it stays bound between clients.
        await client.start_tcp("127.0.0.1", port)
        result = await asyncio.wait_for(
            client.initialize_session(
                types.InitializeParams(
                    capabilities=types.ClientCapabilities(
                        text_document=types.TextDocumentClientCapabilities(
                            inline_completion=types.InlineCompletionClientCapabilities()
                        )
                    )
                )
            ),
            20,
        )
        assert result.capabilities.inline_completion_provider is not None
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=URI, language_id="python", version=1, text=ADD
                )
            )
        )
        items: list[str] = []
        deadline = time.monotonic() + 20
        while not items and time.monotonic() < deadline:  # the fake model loads after initialized
            answer = await asyncio.wait_for(
                client.text_document_inline_completion_async(
                    types.InlineCompletionParams(
                        text_document=types.TextDocumentIdentifier(uri=URI),
                        position=types.Position(line=5, character=12),
                        context=types.InlineCompletionContext(
                            trigger_kind=types.InlineCompletionTriggerKind.Invoked
                        ),
                    )
                ),
                20,
            )
            assert isinstance(answer, types.InlineCompletionList)
            items = [i.insert_text for i in answer.items if isinstance(i.insert_text, str)]
            if not items:
                await asyncio.sleep(0.1)
        await asyncio.wait_for(client.shutdown_async(None), 10)
        client.exit(None)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.stop(), 5)
    return items


@contextlib.asynccontextmanager
async def tcp_server(
    stdout: int = asyncio.subprocess.DEVNULL,
) -> AsyncIterator[tuple[int, Process]]:
    """`infilld serve --tcp` (fake backend) on a free port, killed at the end."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "infilld", "serve", "--backend", "fake", "--tcp", "--port", str(port),
        stdout=stdout, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield port, proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


needs_proc = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc/net/tcp")


@needs_proc
async def test_completion_over_tcp() -> None:
    async with tcp_server(stdout=asyncio.subprocess.PIPE) as (port, proc):
        await wait_listening(port)
        assert await complete_once(port) == [" + b"]
        # stdout stays quiet: the protocol runs on the socket
        assert proc.stdout is not None
        with contextlib.suppress(TimeoutError):
            assert await asyncio.wait_for(proc.stdout.read(1), 0.2) == b""


@needs_proc
async def test_tcp_binds_localhost_only() -> None:
    async with tcp_server() as (port, _proc):
        assert await wait_listening(port) == ["0100007F"]  # 127.0.0.1 and nothing else


@needs_proc
async def test_tcp_serves_the_next_client_after_one_leaves() -> None:
    async with tcp_server() as (port, proc):
        await wait_listening(port)
        assert await complete_once(port) == [" + b"]
        await wait_listening(port)  # listening again after the first client sent exit
        assert await complete_once(port) == [" + b"]
        assert proc.returncode is None


@needs_proc
async def test_a_client_that_connects_during_another_session_is_served_next() -> None:
    async with tcp_server() as (port, proc):
        await wait_listening(port)
        first, second = await asyncio.gather(complete_once(port), complete_once(port))
        assert first == second == [" + b"]
        assert proc.returncode is None
