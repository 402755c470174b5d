"""Shared test fixtures: an `infilld serve` subprocess driven by a pytest-lsp client, and the gate
for tests that need the real model (`@pytest.mark.model`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import make_test_lsp_client

from infilld.config import DEFAULT_MODEL

SERVE = [sys.executable, "-m", "infilld", "serve"]
STATUS = "infilld/status"

INLINE_CAPS = types.ClientCapabilities(
    window=types.WindowClientCapabilities(work_done_progress=True),
    text_document=types.TextDocumentClientCapabilities(
        inline_completion=types.InlineCompletionClientCapabilities(),
        synchronization=types.TextDocumentSyncClientCapabilities(),
    ),
)
# An older editor: no inline completion, no work-done progress.
PLAIN_CAPS = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        completion=types.CompletionClientCapabilities(),
        synchronization=types.TextDocumentSyncClientCapabilities(),
    ),
)

CAPS = {"inline": INLINE_CAPS, "plain": PLAIN_CAPS}


def default_model_path() -> Path:
    base = os.environ.get("INFILLD_MODELS_DIR") or (
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "infilld" / "models"
    )
    return Path(base) / f"{DEFAULT_MODEL}.gguf"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`model` tests need the default GGUF in the cache (`infilld models pull`); skip them, saying
    so, where it is not there or INFILLD_SKIP_MODEL_TESTS=1."""
    reason = None
    if os.environ.get("INFILLD_SKIP_MODEL_TESTS") == "1":
        reason = "INFILLD_SKIP_MODEL_TESTS=1"
    elif not default_model_path().is_file():
        reason = f"{default_model_path()} not present (run `infilld models pull {DEFAULT_MODEL}`)"
    if reason:
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if "model" in item.keywords:
                item.add_marker(skip)


def _make_client() -> LanguageClient:
    client = make_test_lsp_client()
    client.statuses = []  # type: ignore[attr-defined]

    @client.feature(STATUS)
    def _status(params: Any) -> None:
        data = params._asdict() if hasattr(params, "_asdict") else dict(params)
        client.statuses.append(data)  # type: ignore[attr-defined]

    return client


async def wait_status(
    client: LanguageClient, states: tuple[str, ...] = ("ready", "error"), timeout: float = 30
) -> dict[str, Any]:
    """The first infilld/status whose state is one of `states` (waiting for it if needed)."""
    deadline = time.monotonic() + timeout
    while True:
        for status in client.statuses:  # type: ignore[attr-defined]
            if status.get("state") in states:
                return dict(status)
        if time.monotonic() > deadline:
            seen = client.statuses  # type: ignore[attr-defined]
            raise TimeoutError(f"no status in {states} within {timeout} s; saw {seen}")
        await asyncio.sleep(0.02)


async def stop_server(client: LanguageClient, timeout: float = 15) -> int | None:
    """shutdown + exit, wait for the process; kill it if it does not go. Returns its exit code."""
    proc = client._server
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.shutdown_session(), timeout)
    if proc is not None and proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.stop(), 5)
    return proc.returncode if proc is not None else None


@pytest.fixture
def status_of() -> Callable[..., Any]:
    """`await status_of(client, states=("ready", "error"), timeout=30)`: see `wait_status`."""
    return wait_status


LspFactory = Callable[..., contextlib.AbstractAsyncContextManager[LanguageClient]]


@pytest.fixture
def lsp_server() -> LspFactory:
    """`async with lsp_server(*serve_args, env=..., capabilities=..., options=..., ready=True)`:
    an initialized client talking to `infilld serve` over stdio, shut down afterwards.

    `capabilities` is "inline" (a current editor), "plain" (no inline completion, no progress) or
    ClientCapabilities. The client records `statuses` (infilld/status) and `init_result`; with
    `ready` the server has reported "ready" or "error" before the body runs."""

    @contextlib.asynccontextmanager
    async def start(
        *args: str,
        env: dict[str, str] | None = None,
        capabilities: str | types.ClientCapabilities = "inline",
        options: Any = None,
        ready: bool = True,
        root: Path | None = None,
    ) -> AsyncIterator[LanguageClient]:
        config = ClientServerConfig(
            server_command=[*SERVE, *args],
            client_factory=_make_client,
            server_env={**os.environ, **(env or {})},
        )
        client = await config.start()
        try:
            client.init_result = await client.initialize_session(  # type: ignore[attr-defined]
                types.InitializeParams(
                    capabilities=CAPS[capabilities]
                    if isinstance(capabilities, str)
                    else capabilities,
                    initialization_options=options,
                    root_uri=root.as_uri() if root else None,
                    workspace_folders=(
                        [types.WorkspaceFolder(uri=root.as_uri(), name=root.name)] if root else None
                    ),
                )
            )
            if ready:
                await wait_status(client)
            yield client
        finally:
            await stop_server(client)

    return start
