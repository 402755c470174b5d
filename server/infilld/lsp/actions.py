"""textDocument/codeAction, codeAction/resolve and the `infilld.applyFix` command.

Listing is cheap and never touches the model (it must answer while the model is generating): one
"Fix this" per diagnostic the client sends, "Fix the selected code" for a selection, and rewrite
actions inside a function. The edit is computed only when the user picks an action: in
`codeAction/resolve` for clients that resolve edits, otherwise in `workspace/executeCommand`, which
applies it with `workspace/applyEdit`. Both are async handlers, so `$/cancelRequest` (or cancelling
the work-done progress) stops the model at its next token. An edit carries the document version it
was computed for; when there is no edit worth making the user gets a message instead.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from lsprotocol import types

from infilld.engine.fix import (
    MAX_SELECTION_LINES,
    ActionKind,
    DefinitionProvider,
    FixEngine,
    FixRefused,
    FixResult,
    FixTask,
    Problem,
    check_version,
)
from infilld.lsp.convert import line_spans, offset_at, position_at, uri_to_path

if TYPE_CHECKING:
    from infilld.lsp.server import InfilldServer

log = logging.getLogger(__name__)

FIX_COMMAND = "infilld.applyFix"
ACTION_KINDS = [types.CodeActionKind.QuickFix, types.CodeActionKind.RefactorRewrite]
MAX_DOCUMENT_CHARS = 2_000_000  # larger buffers (logs, bundles) get no actions
# Listing parses the document to see whether the cursor is in a function; beyond this size the
# parse could take longer than the listing budget, so rewrite actions are not offered there.
MAX_LIST_PARSE_CHARS = 300_000
MAX_FIX_ACTIONS = 8  # one per diagnostic, up to this many (a file full of errors is one click each)
HINT_LANGUAGES = frozenset({"python", "typescript", "typescriptreact"})


class ActionData(msgspec.Struct, kw_only=True):
    """What a listed action needs to be computed later (sent to the client as `data`)."""

    uri: str
    version: int | None
    kind: ActionKind
    range: tuple[int, int, int, int]  # start line, start character, end line, end character
    message: str = ""
    code: str = ""
    source: str = ""


# -- listing -------------------------------------------------------------------------------------
def _wants(only: list[str] | None, kind: str) -> bool:
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


def _resolves_edits(ls: InfilldServer) -> bool:
    td = ls.client_capabilities.text_document
    ca = td.code_action if td is not None else None
    support = ca.resolve_support if ca is not None else None
    return support is not None and "edit" in support.properties


def _disabled_support(ls: InfilldServer) -> bool:
    td = ls.client_capabilities.text_document
    ca = td.code_action if td is not None else None
    return bool(ca is not None and ca.disabled_support)


def _clamp_range(rng: types.Range, spans: list[tuple[int, int]]) -> types.Range | None:
    """The range inside the document, or None when it starts past the last line (a diagnostic
    from an older version of the file)."""
    n = len(spans)
    s, e = rng.start, rng.end
    if s.line < 0 or s.line >= n or (e.line, e.character) < (s.line, s.character):
        return None
    if e.line >= n:
        last = spans[-1]
        e = types.Position(line=n - 1, character=last[1] - last[0])
    return types.Range(start=s, end=e)


def _function_at(text: str, offset: int, language_id: str, uri: str) -> str | None:
    """Name of the function around `offset` ("" for an anonymous one), or None when the cursor is
    not inside a function (or the file is too large to parse within the listing budget)."""
    if len(text) > MAX_LIST_PARSE_CHARS:
        return None
    from infilld.syntax import (
        FUNCTION_TYPES,
        char_to_byte,
        enclosing_scopes,
        language_for_id,
        language_for_source,
        parse,
    )

    lang = language_for_id(language_id) or language_for_source(uri.rsplit("/", 1)[-1], text)
    if lang is None:
        return None
    scopes = enclosing_scopes(parse(text, lang), char_to_byte(text, min(offset + 1, len(text))))
    for scope in reversed(scopes):
        if scope.kind in FUNCTION_TYPES and scope.end_line > scope.start_line:
            return scope.name
    return None


def _action(
    ls: InfilldServer,
    title: str,
    kind: str,
    data: ActionData,
    diagnostics: list[types.Diagnostic] | None = None,
    disabled: str | None = None,
) -> types.CodeAction:
    raw = msgspec.to_builtins(data)
    action = types.CodeAction(title=title, kind=kind, diagnostics=diagnostics, data=raw)
    if disabled is not None:
        action.disabled = types.CodeActionDisabled(reason=disabled)
    elif not _resolves_edits(ls):
        # No resolve: the command computes the edit and applies it with workspace/applyEdit.
        action.command = types.Command(title=title, command=FIX_COMMAND, arguments=[raw])
    return action


def _short(message: str, limit: int = 60) -> str:
    first = " ".join(message.strip().splitlines()[0].split()) if message.strip() else "problem"
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _literal_support(ls: InfilldServer) -> bool:
    td = ls.client_capabilities.text_document
    ca = td.code_action if td is not None else None
    return ca is not None and ca.code_action_literal_support is not None


def list_commands(
    ls: InfilldServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command]:
    """The actions, as plain Commands for clients that only understand those (LSP 3.8 and older
    clients without `codeActionLiteralSupport`)."""
    actions = list_actions(ls, params)
    if _literal_support(ls) or _resolves_edits(ls):
        return list(actions)
    return [a.command for a in actions if a.command is not None and a.disabled is None]


def list_actions(ls: InfilldServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """The actions for a range. Pure bookkeeping: no model, no waiting on the backend."""
    if not ls.settings.actions.enable or ls.load_error is not None:
        return []
    uri = params.text_document.uri
    doc = ls.workspace.text_documents.get(uri)
    if doc is None:
        log.info("code actions for a document that was never opened: %s", uri)
        return []
    text = doc.source
    if len(text) > MAX_DOCUMENT_CHARS or "\x00" in text[:8192]:
        return []
    spans = line_spans(text)
    only = [str(k) for k in params.context.only] if params.context.only else None
    version = doc.version
    actions: list[types.CodeAction] = []
    if _wants(only, types.CodeActionKind.QuickFix):
        for diag in params.context.diagnostics[:MAX_FIX_ACTIONS]:
            rng = _clamp_range(diag.range, spans)
            if rng is None:
                log.info("ignoring a diagnostic outside the document: %s", diag.range)
                continue
            data = ActionData(
                uri=uri,
                version=version,
                kind="fix",
                range=(rng.start.line, rng.start.character, rng.end.line, rng.end.character),
                message=diag.message,
                code="" if diag.code is None else str(diag.code),
                source=diag.source or "",
            )
            title = f"Fix this: {_short(diag.message)}"
            actions.append(_action(ls, title, types.CodeActionKind.QuickFix, data, [diag]))
    sel = _clamp_range(params.range, spans)
    if sel is None:
        return actions
    sel_range = (sel.start.line, sel.start.character, sel.end.line, sel.end.character)
    selected = sel.start != sel.end
    if selected and not params.context.diagnostics and _wants(only, types.CodeActionKind.QuickFix):
        lines = sel.end.line - sel.start.line + 1
        too_big = (
            f"the selection has {lines} lines; select at most {MAX_SELECTION_LINES}"
            if lines > MAX_SELECTION_LINES and _disabled_support(ls)
            else None
        )
        data = ActionData(uri=uri, version=version, kind="fix_selection", range=sel_range)
        actions.append(
            _action(
                ls, "Fix the selected code", types.CodeActionKind.QuickFix, data, disabled=too_big
            )
        )
    if _wants(only, types.CodeActionKind.RefactorRewrite):
        offset = offset_at(text, sel.start, ls.workspace.position_encoding or "utf-16")
        name = _function_at(text, offset, doc.language_id or "", uri)
        if name is not None:
            label = f" to {name}" if name else ""
            kind = types.CodeActionKind.RefactorRewrite
            data = ActionData(uri=uri, version=version, kind="docstring", range=sel_range)
            actions.append(_action(ls, f"Add docstring{label}", kind, data))
            if (doc.language_id or "") in HINT_LANGUAGES or uri.endswith((".py", ".ts", ".tsx")):
                data = ActionData(uri=uri, version=version, kind="type_hints", range=sel_range)
                actions.append(_action(ls, f"Add type hints{label}", kind, data))
    return actions


# -- computing the edit -----------------------------------------------------------------------------
def _relative(ls: InfilldServer, uri: str) -> str:
    path = uri_to_path(uri)
    if path is None:
        return uri.rsplit("/", 1)[-1] or "untitled"
    for folder in ls.workspace.folders.values():
        root = uri_to_path(folder.uri)
        if root is not None and path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    if ls.workspace.root_path and path.is_relative_to(Path(ls.workspace.root_path)):
        return path.relative_to(Path(ls.workspace.root_path)).as_posix()
    return path.name


def _language_id(doc_language: str, uri: str) -> str:
    from infilld.syntax import language_for_id, language_for_path

    if doc_language and language_for_id(doc_language) is not None:
        return doc_language
    lang = language_for_path(uri.rsplit("/", 1)[-1])
    return lang.id if lang is not None else doc_language


def _task(ls: InfilldServer, data: ActionData) -> FixTask:
    doc = ls.workspace.text_documents.get(data.uri)
    if doc is None:
        raise FixRefused("not_open", "the document is not open in the editor; no edit made")
    check_version(data.version, doc.version)
    text = doc.source
    enc = ls.workspace.position_encoding or "utf-16"
    sl, sc, el, ec = data.range
    start = offset_at(text, types.Position(line=sl, character=sc), enc)
    end = offset_at(text, types.Position(line=el, character=ec), enc)
    problem = (
        Problem(message=data.message, code=data.code, source=data.source)
        if data.kind == "fix"
        else None
    )
    return FixTask(
        kind=data.kind,
        text=text,
        start=start,
        end=end,
        language_id=_language_id(doc.language_id or "", data.uri),
        path=_relative(ls, data.uri),
        version=doc.version,
        problem=problem,
    )


def _workspace_edit(
    ls: InfilldServer, uri: str, task: FixTask, result: FixResult
) -> types.WorkspaceEdit:
    enc = ls.workspace.position_encoding or "utf-16"
    edits = [
        types.TextEdit(
            range=types.Range(
                start=position_at(task.text, e.start, enc), end=position_at(task.text, e.end, enc)
            ),
            new_text=e.new_text,
        )
        for e in result.edits
    ]
    ws = ls.client_capabilities.workspace
    versioned = bool(
        ws is not None and ws.workspace_edit is not None and ws.workspace_edit.document_changes
    )
    if versioned or ws is None or ws.workspace_edit is None:
        # The version lets the client refuse the edit when the document has moved on.
        doc_id = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=result.version)
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=doc_id, edits=list(edits))]
        )
    return types.WorkspaceEdit(changes={uri: list(edits)})


def definition_provider(ls: InfilldServer) -> DefinitionProvider | None:
    """Definitions of names from other files (the workspace index), when the server offers them:
    set `definition_provider` on the server to a callable `(task, names) -> [source text]`."""
    provider = getattr(ls, "definition_provider", None)
    return provider if callable(provider) else None


async def compute_edit(ls: InfilldServer, data: ActionData, title: str) -> types.WorkspaceEdit:
    """The checked edit for a chosen action. Raises FixRefused with a message for the user."""
    task = _task(ls, data)
    backend = ls.backend
    if not ls.model_ready.is_set() or backend is None:
        raise FixRefused(
            "not_ready",
            ls.load_error or "the model is still loading; try again when it is ready",
        )
    cfg = ls.settings.actions
    engine = FixEngine(
        backend,
        timeout_ms=cfg.timeout_ms,
        max_tokens=cfg.max_tokens,
        max_region_lines=cfg.max_region_lines,
        context_length=ls.settings.model.context_length,
        definitions=definition_provider(ls),
    )
    token = await _begin_progress(ls, title)
    ls.send_status("busy", title)
    done = "no edit"
    try:
        result = await engine.compute(task)
        doc = ls.workspace.text_documents.get(data.uri)
        check_version(result.version, doc.version if doc is not None else None)
        done = f"{len(result.edits)} change(s) in {result.latency_ms / 1000:.1f} s"
        return _workspace_edit(ls, data.uri, task, result)
    finally:
        ls.send_status("ready", "")
        if token is not None:
            ls.end_progress(token, done)


async def _begin_progress(ls: InfilldServer, title: str) -> str | None:
    """Work-done progress for the running action (cancellable: cancelling it stops the model)."""
    caps = ls.client_capabilities.window
    if caps is None or not caps.work_done_progress:
        return None
    token = f"infilld-fix-{uuid.uuid4().hex[:8]}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception:
        log.debug("client refused work-done progress", exc_info=True)
        return None
    ls.work_done_progress.begin(
        token,
        types.WorkDoneProgressBegin(title="infilld", message=title, cancellable=True),
    )
    future = ls.work_done_progress.tokens.get(token)
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if future is not None and task is not None:

        def on_done(f: Any) -> None:
            if f.cancelled():  # the user pressed cancel on the progress notification
                loop.call_soon_threadsafe(task.cancel)

        future.add_done_callback(on_done)
    return token


def _refuse(ls: InfilldServer, title: str, exc: FixRefused) -> None:
    log.info("%s: refused (%s): %s", title, exc.kind, exc)
    ls.window_show_message(
        types.ShowMessageParams(
            type=types.MessageType.Warning if exc.kind != "cancelled" else types.MessageType.Info,
            message=f"infilld: {title}: {exc}",
        )
    )


def _data(raw: object) -> ActionData | None:
    try:
        return msgspec.convert(raw, ActionData)
    except (msgspec.ValidationError, TypeError):
        log.warning("code action with unusable data: %r", raw)
        return None


def register(server: InfilldServer) -> None:
    options = types.CodeActionOptions(code_action_kinds=list(ACTION_KINDS), resolve_provider=True)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, options)
    def code_action(
        ls: InfilldServer, params: types.CodeActionParams
    ) -> list[types.CodeAction | types.Command]:
        return list_commands(ls, params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve(ls: InfilldServer, action: types.CodeAction) -> types.CodeAction:
        data = _data(action.data)
        if data is None:
            return action
        try:
            action.edit = await compute_edit(ls, data, action.title)
        except FixRefused as exc:
            _refuse(ls, action.title, exc)
        return action

    # pygls resolves this handler's annotations at run time to convert the arguments: `ls` is
    # annotated Any because InfilldServer is imported for type checking only (import cycle).
    @server.command(FIX_COMMAND)
    async def apply_fix(ls: Any, *args: Any) -> dict[str, Any]:
        data = _data(args[0]) if args else None
        if data is None:
            return {"applied": False, "reason": "missing or invalid arguments"}
        title = {"fix": "Fix this", "fix_selection": "Fix the selected code"}.get(
            data.kind, "Add docstring" if data.kind == "docstring" else "Add type hints"
        )
        try:
            edit = await compute_edit(ls, data, title)
        except FixRefused as exc:
            _refuse(ls, title, exc)
            return {"applied": False, "reason": str(exc)}
        result = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label=f"infilld: {title}")
        )
        if not result.applied:
            reason = result.failure_reason or "the editor did not apply it"
            _refuse(ls, title, FixRefused("stale", f"the edit was not applied: {reason}"))
        return {"applied": bool(result.applied)}
