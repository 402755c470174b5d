"""didOpen / didChange / `infilld/cursor` -> the engine's background work, and `infilld/stats`.

pygls applies the edit to its workspace first and then calls these handlers, so the document text
here is already current. The handlers only note the event (cheap, on the event loop): the engine
feeds its typing-rhythm debounce, detects an accepted suggestion, and arms a background prefill.

`infilld/cursor` (a notification: `{"textDocument": {"uri"}, "position"}`) is infilld's own: the
editor reports where the cursor came to rest without an edit (a click, a jump to a definition),
so the server can prefill there, and move the repository block there, while the user reads. The
VS Code extension and the Neovim config send it; other clients simply do not.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from infilld import memory
from infilld.engine.completer import CompletionRequest
from infilld.lsp.completion import snapshot
from infilld.lsp.convert import offset_at

if TYPE_CHECKING:
    from infilld.lsp.server import InfilldServer

log = logging.getLogger(__name__)
STATS_REQUEST = "infilld/stats"
CURSOR_NOTIFICATION = "infilld/cursor"


def _request(ls: InfilldServer, uri: str, offset: int | None) -> CompletionRequest | None:
    """A snapshot of the document for the engine (None for documents the engine ignores)."""
    snap = snapshot(ls, uri)
    if snap is None:
        return None
    text, path, root = snap
    return CompletionRequest(
        path=path,
        text=text,
        offset=len(text) if offset is None else min(offset, len(text)),
        workspace_root=root,
    )


def cursor_after(
    text: str, changes: list[types.TextDocumentContentChangeEvent], encoding: str
) -> int | None:
    """Where the cursor is after an edit: the end of the last change's inserted text (positions
    before a change's start are not moved by it, so they can be read in the new text)."""
    if not changes:
        return None
    last = changes[-1]
    if not isinstance(last, types.TextDocumentContentChangePartial):
        return None  # a whole-document replacement says nothing about the cursor
    return offset_at(text, last.range.start, encoding) + len(last.text)


def _param(params: Any, name: str) -> Any:
    """A field of a custom request's params (pygls hands them over as an object or a dict)."""
    value = getattr(params, name, None)
    if value is None and isinstance(params, dict):
        value = params.get(name)
    return value


def register(server: InfilldServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def on_open(ls: InfilldServer, params: types.DidOpenTextDocumentParams) -> None:
        if ls.engine is None or not ls.settings.completion.enable:
            return
        req = _request(ls, params.text_document.uri, None)
        if req is not None:
            ls.engine.note_open(req)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def on_change(ls: InfilldServer, params: types.DidChangeTextDocumentParams) -> None:
        if ls.engine is None or not ls.settings.completion.enable:
            return
        uri = params.text_document.uri
        doc = ls.workspace.text_documents.get(uri)
        if doc is None:
            return
        encoding = ls.workspace.position_encoding or "utf-16"
        cursor = cursor_after(doc.source, list(params.content_changes), encoding)
        if cursor is None:
            return
        req = _request(ls, uri, cursor)
        if req is not None:
            ls.engine.note_edit(req)

    @server.feature(CURSOR_NOTIFICATION)
    def on_cursor(ls: InfilldServer, params: Any) -> None:
        if ls.engine is None or not ls.settings.completion.enable:
            return
        uri = _param(_param(params, "textDocument"), "uri")
        position = _param(params, "position")
        line, character = _param(position, "line"), _param(position, "character")
        if not isinstance(uri, str) or not isinstance(line, int) or not isinstance(character, int):
            log.warning("ignoring %s with unexpected params: %r", CURSOR_NOTIFICATION, params)
            return
        doc = ls.workspace.text_documents.get(uri)
        if doc is None:
            return  # not a document the editor synchronises with the server (an output pane)
        encoding = ls.workspace.position_encoding or "utf-16"
        offset = offset_at(
            doc.source, types.Position(line=max(0, line), character=max(0, character)), encoding
        )
        req = _request(ls, uri, offset)
        if req is not None:
            if ls.repo is not None:
                ls.repo.note_view(req.path, req.text, req.offset)
            ls.engine.note_cursor(req)

    @server.feature(STATS_REQUEST)
    def on_stats(ls: InfilldServer, params: Any) -> dict[str, Any]:
        """Per-request latency figures and counters (the latency benchmark reads them);
        `{"recent": N}` asks for the last N requests (default 64); `{"allocations": N}` for the N
        largest live Python allocation sites when the server runs under PYTHONTRACEMALLOC."""
        if ls.engine is None:
            return {"ready": False}
        recent, allocations = _param(params, "recent"), _param(params, "allocations")
        answer = {
            "ready": True,
            **ls.engine.stats_snapshot(recent if isinstance(recent, int) else 64),
            "memory": memory.usage(),
            "pendingRequests": ls.pending_requests,
        }
        if isinstance(allocations, int):
            answer["allocations"] = memory.top_allocations(allocations)
        return answer
