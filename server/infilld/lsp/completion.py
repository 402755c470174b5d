"""textDocument/inlineCompletion (LSP 3.18) and the textDocument/completion fallback.

Handlers are async so `$/cancelRequest` cancels them; the engine turns that cancellation into a
stop of the model's token loop. Every request is answered: a suggestion, or an empty result with
the reason logged.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from infilld.engine.completer import CompletionRequest, Suggestion
from infilld.lsp.convert import offset_at, uri_to_path

if TYPE_CHECKING:
    from infilld.lsp.server import InfilldServer

log = logging.getLogger(__name__)
MAX_DOCUMENT_CHARS = 2_000_000  # larger buffers (logs, bundles) get no suggestions


def snapshot(ls: InfilldServer, uri: str) -> tuple[str, Path, Path | None] | None:
    """(text, path, workspace root) of an open document the engine serves, or None with the
    reason logged (never opened, binary, or too large)."""
    doc = ls.workspace.text_documents.get(uri)
    if doc is None:
        log.warning("request for a document that was never opened: %s", uri)
        return None
    text = doc.source
    if len(text) > MAX_DOCUMENT_CHARS or "\x00" in text[:8192]:
        log.info("ignoring %s: binary or larger than %d characters", uri, MAX_DOCUMENT_CHARS)
        return None
    path = uri_to_path(uri) or Path("/untitled") / uri.rsplit("/", 1)[-1]
    return text, path, _workspace_root(ls, path)


async def suggest(ls: InfilldServer, uri: str, position: types.Position) -> Suggestion | None:
    """The suggestion for a position, or None (with the reason logged)."""
    if not ls.settings.completion.enable:
        return None
    snap = snapshot(ls, uri)
    if snap is None:
        return None
    text, path, root = snap
    if not ls.model_ready.is_set() or ls.engine is None:
        log.info("no completion yet: %s", ls.load_error or "the model is loading")
        return None
    offset = offset_at(text, position, ls.workspace.position_encoding or "utf-16")
    if ls.repo is not None:
        ls.repo.note_view(path, text, offset)
    ls.send_status("busy")
    suggestion = None
    try:
        suggestion = await ls.engine.complete(
            CompletionRequest(path=path, text=text, offset=offset, workspace_root=root)
        )
    finally:
        latency = (
            suggestion.latency_ms
            if suggestion
            else (ls.engine.last.latency_ms if ls.engine and ls.engine.last else None)
        )
        ls.send_status("ready", "", latency)
    return suggestion


def _documentation(
    td: types.TextDocumentClientCapabilities | None, text: str
) -> str | types.MarkupContent:
    """The suggestion as the item's documentation: markdown only if the client says it renders
    markdown, else a plain string (MarkupContent of any kind needs a declared format)."""
    item = td.completion.completion_item if td and td.completion else None
    if (
        item
        and item.documentation_format
        and types.MarkupKind.Markdown in item.documentation_format
    ):
        return types.MarkupContent(kind=types.MarkupKind.Markdown, value=f"```\n{text}\n```")
    return text


def _workspace_root(ls: InfilldServer, path: Path) -> Path | None:
    best: Path | None = None
    for folder in ls.workspace.folders.values():
        root = uri_to_path(folder.uri)
        if (
            root is not None
            and path.is_relative_to(root)
            and (best is None or len(root.parts) > len(best.parts))
        ):
            best = root
    if best is None and ls.workspace.root_path:
        root = Path(ls.workspace.root_path)
        if path.is_relative_to(root):
            best = root
    return best


def register(server: InfilldServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: InfilldServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        s = await suggest(ls, params.text_document.uri, params.position)
        if s is None:
            return types.InlineCompletionList(items=[])
        pos = params.position
        return types.InlineCompletionList(
            items=[types.InlineCompletionItem(insert_text=s.text, range=types.Range(pos, pos))]
        )

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions())
    async def completion(ls: InfilldServer, params: types.CompletionParams) -> types.CompletionList:
        # Clients that render inline suggestions get them there; listing them again in the
        # completion menu would show every suggestion twice.
        td = ls.client_capabilities.text_document
        if td is not None and td.inline_completion is not None:
            return types.CompletionList(is_incomplete=False, items=[])
        s = await suggest(ls, params.text_document.uri, params.position)
        if s is None:
            return types.CompletionList(is_incomplete=True, items=[])
        pos = params.position
        first = s.text.split("\n", 1)[0].strip() or s.text.strip()
        item = types.CompletionItem(
            label=first[:60],
            kind=types.CompletionItemKind.Text,
            detail="infilld",
            documentation=_documentation(td, s.text),
            text_edit=types.TextEdit(range=types.Range(pos, pos), new_text=s.text),
            insert_text_format=types.InsertTextFormat.PlainText,
            filter_text=first,
            sort_text="0",
            preselect=True,
        )
        return types.CompletionList(is_incomplete=True, items=[item])
