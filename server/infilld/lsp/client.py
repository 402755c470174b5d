"""A small LSP client that drives `infilld serve` as a subprocess, as an editor would.

Used by `infilld demo` and the benchmarks: it opens documents, types text with incremental
didChange notifications, asks for inline completions, and records `infilld/status` and progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from infilld.lsp.convert import offset_at, position_at


class EditorSession:
    """One server process and the documents this 'editor' has open."""

    def __init__(self, workspace: Path, server_args: list[str], settings: dict[str, Any] | None = None,
                 on_log: Callable[[str], None] | None = None) -> None:  # fmt: skip
        self.workspace = workspace
        self.server_args = server_args
        self.settings = settings or {}
        self.client = LanguageClient("infilld-demo", "1")
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.status: dict[str, Any] = {}
        self.status_changed = asyncio.Event()
        self.progress: list[str] = []
        self.messages: list[str] = []
        self._on_log = on_log
        self._drain: asyncio.Task[None] | None = None

        @self.client.feature("infilld/status")
        def _status(params: Any) -> None:
            # pygls hands unknown notifications over as namedtuples
            self.status = params._asdict() if hasattr(params, "_asdict") else dict(params)
            self.status_changed.set()

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def _create(_params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @self.client.feature(types.PROGRESS)
        def _progress(params: types.ProgressParams) -> None:
            value = params.value
            msg = getattr(value, "message", None) or (
                value.get("message") if isinstance(value, dict) else None
            )
            if msg:
                self.progress.append(str(msg))

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def _show(params: types.ShowMessageParams) -> None:
            self.messages.append(params.message)

    async def start(self, ready_timeout: float = 600.0) -> None:
        await self.client.start_io(sys.executable, "-m", "infilld", *self.server_args)
        proc = self.client._server
        if proc is not None and proc.stderr is not None:
            self._drain = asyncio.create_task(self._drain_stderr(proc.stderr))
        caps = types.ClientCapabilities(
            window=types.WindowClientCapabilities(work_done_progress=True),
            text_document=types.TextDocumentClientCapabilities(
                inline_completion=types.InlineCompletionClientCapabilities(),
                synchronization=types.TextDocumentSyncClientCapabilities(),
                code_action=types.CodeActionClientCapabilities(
                    data_support=True,
                    disabled_support=True,
                    resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]),
                    code_action_literal_support=types.ClientCodeActionLiteralOptions(
                        code_action_kind=types.ClientCodeActionKindOptions(
                            value_set=["quickfix", "refactor"]
                        )
                    ),
                ),
            ),
            workspace=types.WorkspaceClientCapabilities(
                apply_edit=True,
                workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
            ),
        )
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=caps,
                root_uri=self.workspace.as_uri(),
                workspace_folders=[
                    types.WorkspaceFolder(uri=self.workspace.as_uri(), name=self.workspace.name)
                ],
                initialization_options=self.settings,
            )
        )
        self.client.initialized(types.InitializedParams())
        await self.wait_ready(ready_timeout)

    async def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.status.get("state") not in ("ready", "error"):
            self.status_changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the server did not finish loading the model")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.status_changed.wait(), remaining)
        if self.status.get("state") == "error":
            raise RuntimeError(f"server failed to load the model: {self.status.get('message')}")

    async def _drain_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            if self._on_log:
                self._on_log(line.decode("utf-8", "replace").rstrip())

    def uri(self, rel: str) -> str:
        return (self.workspace / rel).as_uri()

    def open(self, rel: str, text: str, language_id: str = "python") -> None:
        uri = self.uri(rel)
        self.texts[uri], self.versions[uri] = text, 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))  # fmt: skip

    def insert(self, rel: str, offset: int, new_text: str) -> int:
        """Insert text at an offset with an incremental didChange; returns the new cursor offset."""
        return self.replace(rel, offset, offset, new_text)

    def replace(self, rel: str, start: int, end: int, new_text: str) -> int:
        """Replace text[start:end] with an incremental didChange; returns the new cursor offset."""
        uri = self.uri(rel)
        text = self.texts[uri]
        rng = types.Range(position_at(text, start), position_at(text, end))
        self.texts[uri] = text[:start] + new_text + text[end:]
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new_text)],
        ))  # fmt: skip
        return start + len(new_text)

    def server_pid(self) -> int | None:
        """The server process id (for its memory figures)."""
        proc = self.client._server
        return proc.pid if proc is not None else None

    async def inline_completion(self, rel: str, offset: int) -> tuple[str | None, float]:
        """(first suggestion or None, latency in ms)."""
        uri = self.uri(rel)
        start = time.monotonic()
        result = await self.client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position_at(self.texts[uri], offset),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
        ))  # fmt: skip
        ms = (time.monotonic() - start) * 1000
        items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
        if not items:
            return None, ms
        text = items[0].insert_text
        return (text if isinstance(text, str) else text.value), ms

    async def code_actions(
        self, rel: str, start: int, end: int, diagnostics: list[types.Diagnostic] | None = None
    ) -> tuple[list[types.CodeAction], float]:
        """(code actions for the range start..end (offsets), latency in ms)."""
        uri = self.uri(rel)
        text = self.texts[uri]
        t0 = time.monotonic()
        result = await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(position_at(text, start), position_at(text, end)),
            context=types.CodeActionContext(diagnostics=diagnostics or []),
        ))  # fmt: skip
        ms = (time.monotonic() - t0) * 1000
        return [a for a in result or [] if isinstance(a, types.CodeAction)], ms

    async def resolve_code_action(self, action: types.CodeAction) -> types.CodeAction:
        return await self.client.code_action_resolve_async(action)

    def apply_workspace_edit(self, edit: types.WorkspaceEdit) -> list[str]:
        """Apply an edit to the open texts as an editor does (refusing a stale version), send the
        didChange, and return the URIs changed."""
        changed: list[str] = []
        for change in edit.document_changes or []:
            if not isinstance(change, types.TextDocumentEdit):
                continue
            uri = change.text_document.uri
            version = change.text_document.version
            if uri not in self.texts or (version is not None and version != self.versions[uri]):
                raise ValueError(f"edit for {uri} version {version} does not apply")
            text = self.texts[uri]
            spans = [
                (offset_at(text, e.range.start), offset_at(text, e.range.end), e.new_text)
                for e in change.edits
                if isinstance(e, types.TextEdit)
            ]
            for a, b, new in sorted(spans, reverse=True):
                text = text[:a] + new + text[b:]
            self.texts[uri] = text
            self.versions[uri] += 1
            self.client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            ))  # fmt: skip
            changed.append(uri)
        return changed

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.shutdown_async(None), 30)
            self.client.exit(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.stop(), 30)
        if self._drain is not None:
            self._drain.cancel()
