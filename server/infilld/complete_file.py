"""One completion for a file position, without an editor: what `infilld complete` runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from infilld.backends.factory import create_backend
from infilld.config import Settings
from infilld.engine.completer import CompletionEngine, CompletionRequest, Suggestion
from infilld.engine.repo_context import RepoContext
from infilld.errors import DocumentError


def offset_for(text: str, line: int, column: int) -> int:
    """1-based line and column (characters) -> index into text, clamped to the line and file."""
    lines = text.split("\n")
    if line < 1:
        raise DocumentError(f"line {line} is before the first line (lines are 1-based)")
    if line > len(lines):
        return len(text)
    start = sum(len(s) + 1 for s in lines[: line - 1])
    return start + min(max(column - 1, 0), len(lines[line - 1]))


def complete_file(
    file: Path, line: int, column: int, settings: Settings, *, workspace: Path | None = None
) -> Suggestion | None:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read {file} as UTF-8 text: {exc}") from exc
    offset = offset_for(text, line, column)
    backend = create_backend(settings.model)
    try:
        backend.submit(backend.load).result()
        repo = None
        if workspace is not None and settings.context.enable:
            repo = RepoContext(settings.context, prompt_lines=settings.completion.prompt_lines)
            repo.add_folder(workspace)
            repo.ready.wait()  # a one-shot command can wait for the index; the server never does
        engine = CompletionEngine(backend, settings, repo.provide if repo else None)
        req = CompletionRequest(
            path=file.resolve(), text=text, offset=offset,
            workspace_root=workspace.resolve() if workspace else None,
        )  # fmt: skip
        try:
            return asyncio.run(engine.complete(req))
        finally:
            if repo is not None:
                repo.close()
    finally:
        backend.close()
