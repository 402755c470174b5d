"""Code actions over LSP against `infilld serve --backend fake`: listing, resolve, the command path,
stale versions, bad input and cancellation.

The fake backend answers chat prompts by repeating the code block it was sent, applying the
`fake-fix: OLD -> NEW` directives written in it (see backends/fake.py), so every edit here is known.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

LspFactory = Any  # the `lsp_server` fixture of tests/conftest.py

pytestmark = pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning")

FAKE = ("--backend", "fake")
URI = "file:///project/stats.py"
BUGGY = (
    "import math\n"
    "\n"
    "\n"
    "def mean(values):\n"
    '    """The average."""\n'
    "    total = 0\n"
    "    for v in values:\n"
    "        total += v\n"
    "    return totl / len(values)  # fake-fix: totl -> total\n"
    "\n"
    "\n"
    "def spread(values):\n"
    "    return max(values) - min(values)\n"
)
BUG_LINE = 8
DIAG = types.Diagnostic(
    range=types.Range(types.Position(BUG_LINE, 11), types.Position(BUG_LINE, 15)),
    message='"totl" is not defined',
    severity=types.DiagnosticSeverity.Error,
    code="reportUndefinedVariable",
    source="Pyright",
)


def caps(*, resolve: bool = True, progress: bool = True, disabled: bool = True) -> types.ClientCapabilities:  # fmt: skip
    literals = types.ClientCodeActionLiteralOptions(
        code_action_kind=types.ClientCodeActionKindOptions(value_set=["quickfix", "refactor"])
    )
    return types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=progress),
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
        ),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(),
            code_action=types.CodeActionClientCapabilities(
                data_support=True,
                code_action_literal_support=literals if resolve else None,
                disabled_support=disabled,
                resolve_support=(
                    types.ClientCodeActionResolveOptions(properties=["edit"]) if resolve else None
                ),
            ),
        ),
    )


def open_doc(client: LanguageClient, uri: str = URI, text: str = BUGGY, lang: str = "python") -> None:  # fmt: skip
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=lang, version=1, text=text)
        )
    )


async def list_actions(
    client: LanguageClient,
    rng: types.Range,
    diagnostics: list[types.Diagnostic] | None = None,
    uri: str = URI,
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=types.CodeActionContext(diagnostics=diagnostics or []),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def apply(text: str, edit: types.WorkspaceEdit, version: int = 1) -> str:
    """Apply a versioned WorkspaceEdit the way an editor does (checking the version)."""
    from infilld.engine.fix import Edit, apply_edits
    from infilld.lsp.convert import offset_at

    assert edit.document_changes, "the edit must use documentChanges"
    (change,) = edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == version
    edits = [
        Edit(offset_at(text, e.range.start), offset_at(text, e.range.end), e.new_text)
        for e in change.edits
        if isinstance(e, types.TextEdit)
    ]
    return apply_edits(text, edits)


def fix_action(actions: list[types.CodeAction]) -> types.CodeAction:
    fixes = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    assert len(fixes) == 1, [a.title for a in actions]
    return fixes[0]


async def test_listing_offers_fix_and_rewrites_without_edits(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE, capabilities=caps()) as client:
        provider = client.init_result.capabilities.code_action_provider
        assert isinstance(provider, types.CodeActionOptions)
        assert provider.resolve_provider is True
        assert types.CodeActionKind.QuickFix in (provider.code_action_kinds or [])
        open_doc(client)
        actions = await list_actions(client, DIAG.range, [DIAG])
        titles = [a.title for a in actions]
        assert titles == [
            'Fix this: "totl" is not defined',
            "Add docstring to mean",
            "Add type hints to mean",
        ]
        fix = actions[0]
        assert list(fix.diagnostics or []) == [DIAG]
        assert fix.edit is None and fix.command is None  # computed only when chosen
        assert [a.kind for a in actions[1:]] == [types.CodeActionKind.RefactorRewrite] * 2
        # Outside any function: no rewrites; an empty range without diagnostics: nothing.
        top = types.Range(types.Position(0, 0), types.Position(0, 0))
        assert await list_actions(client, top) == []
        # `only` filters by kind.
        only = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=URI),
                range=DIAG.range,
                context=types.CodeActionContext(
                    diagnostics=[DIAG], only=[types.CodeActionKind.QuickFix]
                ),
            )
        )
        assert [a.title for a in only or [] if isinstance(a, types.CodeAction)] == titles[:1]


async def test_resolve_computes_a_minimal_versioned_edit(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE, capabilities=caps()) as client:
        open_doc(client)
        action = fix_action(await list_actions(client, DIAG.range, [DIAG]))
        resolved = await client.code_action_resolve_async(action)
        assert resolved.edit is not None, [m.message for m in client.messages]
        (change,) = resolved.edit.document_changes or []
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == URI and change.text_document.version == 1
        (edit,) = change.edits
        assert isinstance(edit, types.TextEdit)
        # Only the buggy line is replaced, not the function or the file.
        assert edit.range == types.Range(
            types.Position(BUG_LINE, 0), types.Position(BUG_LINE + 1, 0)
        )
        assert edit.new_text.startswith("    return total / len(values)")
        fixed = apply(BUGGY, resolved.edit)
        assert "return total / len(values)" in fixed
        assert (
            fixed.replace("total / len", "totl / len").replace("total -> total", "totl -> total")
            == BUGGY
        )
        # Work-done progress was reported and ended.
        values = [v for reports in client.progress_reports.values() for v in reports]
        assert any(isinstance(v, types.WorkDoneProgressBegin) for v in values)
        assert isinstance(values[-1], types.WorkDoneProgressEnd)


async def test_command_path_applies_the_edit_with_apply_edit(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE, capabilities=caps(resolve=False, progress=False)) as client:
        applied: list[types.ApplyWorkspaceEditParams] = []

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def _apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            applied.append(params)
            return types.ApplyWorkspaceEditResult(applied=True)

        open_doc(client)
        # A client without resolve or code action literals gets plain Commands.
        result = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=URI),
                range=DIAG.range,
                context=types.CodeActionContext(diagnostics=[DIAG]),
            )
        )
        commands = [c for c in result or [] if isinstance(c, types.Command)]
        assert commands[0].title == 'Fix this: "totl" is not defined'
        command = commands[0]
        assert command.command == "infilld.applyFix"
        provider = client.init_result.capabilities.execute_command_provider
        assert provider is not None and "infilld.applyFix" in provider.commands
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
        )
        assert result == {"applied": True}
        (params,) = applied
        assert "return total / len(values)" in apply(BUGGY, params.edit)


async def test_stale_version_gets_a_message_and_no_edit(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE, capabilities=caps()) as client:
        open_doc(client)
        action = fix_action(await list_actions(client, DIAG.range, [DIAG]))
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                        text="# edited\n",
                    )
                ],
            )
        )
        resolved = await client.code_action_resolve_async(action)
        assert resolved.edit is None
        assert any("document changed" in m.message for m in client.messages), client.messages


async def test_out_of_range_diagnostics_are_ignored_or_clamped(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE, capabilities=caps()) as client:
        open_doc(client)
        past_end = types.Diagnostic(
            range=types.Range(types.Position(500, 0), types.Position(501, 3)), message="stale"
        )
        overlong = types.Diagnostic(
            range=types.Range(types.Position(BUG_LINE, 11), types.Position(900, 0)),
            message='"totl" is not defined',
        )
        actions = await list_actions(client, DIAG.range, [past_end, overlong])
        fixes = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
        assert [a.title for a in fixes] == ['Fix this: "totl" is not defined']
        resolved = await client.code_action_resolve_async(fixes[0])
        assert resolved.edit is not None
        assert "return total / len(values)" in apply(BUGGY, resolved.edit)


async def test_unknown_uri_and_bad_data(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE, capabilities=caps()) as client:
        assert await list_actions(client, DIAG.range, [DIAG], uri="file:///nowhere.py") == []
        open_doc(client)
        action = fix_action(await list_actions(client, DIAG.range, [DIAG]))
        assert isinstance(action.data, dict)
        action.data = {**action.data, "uri": "file:///closed.py"}
        resolved = await client.code_action_resolve_async(action)
        assert resolved.edit is None
        assert any("not open" in m.message for m in client.messages)
        garbage = types.CodeAction(title="x", data={"nonsense": 1})
        assert (await client.code_action_resolve_async(garbage)).edit is None


@pytest.mark.parametrize(
    ("directive", "expected"),
    [
        ("fake-answer: prose", "explanation instead of code"),
        ("fake-answer: break", "syntax"),
        ("fake-answer: javascript", "does not match the code"),
        ("no directive at all", "changes nothing"),
    ],
)
async def test_bad_answers_are_refused_with_a_message(
    lsp_server: LspFactory, directive: str, expected: str
) -> None:
    text = BUGGY.replace("fake-fix: totl -> total", directive)
    async with lsp_server(*FAKE, capabilities=caps()) as client:
        open_doc(client, text=text)
        action = fix_action(await list_actions(client, DIAG.range, [DIAG]))
        resolved = await client.code_action_resolve_async(action)
        assert resolved.edit is None
        assert any(expected in m.message for m in client.messages), client.messages


async def test_selection_fix_and_huge_selection(lsp_server: LspFactory) -> None:
    huge = BUGGY + "".join(f"x{i} = {i}\n" for i in range(400))
    async with lsp_server(*FAKE, capabilities=caps()) as client:
        open_doc(client, text=huge)
        sel = types.Range(types.Position(6, 0), types.Position(9, 0))
        (fix, *_rest) = await list_actions(client, sel)
        assert fix.title == "Fix the selected code" and fix.disabled is None
        resolved = await client.code_action_resolve_async(fix)
        assert resolved.edit is not None
        assert "return total / len(values)" in apply(huge, resolved.edit)
        everything = types.Range(types.Position(0, 0), types.Position(410, 0))
        (big,) = [a for a in await list_actions(client, everything) if a.kind == "quickfix"]
        assert big.disabled is not None and "at most" in big.disabled.reason


async def test_docstring_rewrite_only_adds_lines(lsp_server: LspFactory) -> None:
    async with lsp_server(*FAKE, capabilities=caps()) as client:
        open_doc(client)
        inside = types.Range(types.Position(12, 6), types.Position(12, 6))
        actions = await list_actions(client, inside)
        doc = next(a for a in actions if a.title.startswith("Add docstring"))
        assert doc.title == "Add docstring to spread"
        resolved = await client.code_action_resolve_async(doc)
        assert resolved.edit is not None, client.messages
        fixed = apply(BUGGY, resolved.edit)
        assert 'def spread(values):\n    """Fake docstring."""\n    return max' in fixed
        assert fixed.replace('    """Fake docstring."""\n', "") == BUGGY


async def test_cancel_stops_the_model_and_listing_still_answers(lsp_server: LspFactory) -> None:
    env = {"INFILLD_FAKE_DELAY_MS": "100"}  # each generated token takes 0.1 s
    async with lsp_server(*FAKE, env=env, capabilities=caps()) as client:
        open_doc(client)
        action = fix_action(await list_actions(client, DIAG.range, [DIAG]))
        pending = asyncio.ensure_future(
            client.protocol.send_request_async(types.CODE_ACTION_RESOLVE, action, msg_id="slow-fix")
        )
        await asyncio.sleep(0.5)
        # While the model generates, listing answers from the event loop.
        again = await asyncio.wait_for(list_actions(client, DIAG.range, [DIAG]), 3)
        assert again[0].title == action.title
        assert not pending.done()
        client.cancel_request(types.CancelParams(id="slow-fix"))
        with pytest.raises(JsonRpcException) as info:
            await asyncio.wait_for(pending, 10)
        assert info.value.code == -32800  # RequestCancelled
        assert not client.messages  # a cancelled action is not an error to show


@pytest.mark.model
async def test_real_model_fixes_an_undefined_name(lsp_server: LspFactory) -> None:
    text = BUGGY.replace("  # fake-fix: totl -> total", "")
    async with lsp_server("--threads", "2", capabilities=caps()) as client:
        assert client.statuses[-1]["state"] == "ready", client.statuses
        open_doc(client, text=text)
        action = fix_action(await list_actions(client, DIAG.range, [DIAG]))
        resolved = await asyncio.wait_for(client.code_action_resolve_async(action), 300)
        assert resolved.edit is not None, [m.message for m in client.messages]
        fixed = apply(text, resolved.edit)
        assert "return total / len(values)" in fixed
        namespace: dict[str, Any] = {}
        exec(compile(fixed, "stats.py", "exec"), namespace)
        assert namespace["mean"]([1, 2, 3, 6]) == 3
