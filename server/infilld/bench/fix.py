"""`infilld bench fix`: how often "Fix this" really fixes a bug, and how long it takes.

Each task in tests/fix_tasks/<set>/<name>/ is a buggy file, the diagnostic an editor would show for
it (task.toml), a check script that passes only when the bug is fixed, and the reference fix
(reference/). The harness starts `infilld serve` like an editor, opens the file, lists the code
actions for the diagnostic, resolves "Fix this", applies the edit, and runs the check. While the
model is generating it lists the actions again, to measure listing latency under load. `dev` is the
set the prompt was tuned on; `heldout` was run only for the final measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

SETS = ("dev", "heldout")
LANGUAGE_IDS = {".py": "python", ".js": "javascript", ".ts": "typescript"}


@dataclass(frozen=True)
class FixTaskSpec:
    """One task as stored on disk."""

    name: str
    split: str
    kind: str
    language: str
    file: str
    test: tuple[str, ...]
    line: int  # 1-based line of the diagnostic
    match: str  # the text on that line the diagnostic covers
    message: str
    code: str
    source: str
    folder: Path


@dataclass
class Outcome:
    task: str
    split: str
    kind: str
    language: str
    fixed: bool
    failure: str = ""  # empty when fixed
    latency_ms: float = 0.0
    list_ms: float = 0.0  # listing while idle
    list_busy_ms: float | None = None  # listing while the model generates
    changed_lines: int = 0
    detail: list[str] = field(default_factory=list)


def default_tasks_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "tests" / "fix_tasks"


def load_tasks(root: Path, split: str = "all", names: list[str] | None = None) -> list[FixTaskSpec]:
    """Tasks of one split ("dev", "heldout" or "all"), optionally filtered by name substrings."""
    tasks: list[FixTaskSpec] = []
    for s in SETS if split == "all" else (split,):
        for toml in sorted((root / s).glob("*/task.toml")):
            raw = tomllib.loads(toml.read_text(encoding="utf-8"))
            d = raw["diagnostic"]
            name = toml.parent.name
            if names and not any(n in name for n in names):
                continue
            tasks.append(
                FixTaskSpec(
                    name=name,
                    split=s,
                    kind=str(raw["kind"]),
                    language=str(raw["language"]),
                    file=str(raw["file"]),
                    test=tuple(str(x) for x in raw["test"]),
                    line=int(d["line"]),
                    match=str(d["match"]),
                    message=str(d["message"]),
                    code=str(d.get("code", "")),
                    source=str(d.get("source", "")),
                    folder=toml.parent,
                )
            )
    return tasks


def diagnostic_offsets(task: FixTaskSpec, text: str) -> tuple[int, int]:
    """Offsets of the diagnostic's range: `match` on line `line`."""
    lines = text.split("\n")
    start_of_line = sum(len(x) + 1 for x in lines[: task.line - 1])
    col = lines[task.line - 1].find(task.match)
    if col < 0:
        raise ValueError(f"{task.name}: {task.match!r} is not on line {task.line}")
    return start_of_line + col, start_of_line + col + len(task.match)


def run_check(task: FixTaskSpec, folder: Path, timeout: float = 30) -> tuple[bool, str]:
    """Run the task's check in `folder`; (passed, last line of its output)."""
    cmd = [sys.executable if task.test[0] == "python" else task.test[0], *task.test[1:]]
    try:
        proc = subprocess.run(
            cmd, cwd=folder, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return False, f"check timed out after {timeout:.0f} s"
    except OSError as exc:
        return False, f"could not run {cmd[0]}: {exc}"
    out = (proc.stderr or proc.stdout).strip().splitlines()
    return proc.returncode == 0, (out[-1] if out else "")


def _copy(task: FixTaskSpec, dest: Path) -> Path:
    folder = dest / task.split / task.name
    shutil.copytree(task.folder, folder, ignore=shutil.ignore_patterns("reference", "__pycache__"))
    return folder


def validate(tasks: list[FixTaskSpec]) -> list[str]:
    """Problems with the task set: a check that passes on the buggy file, or fails on the reference."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="infilld-fix-validate-") as tmp:
        for task in tasks:
            folder = _copy(task, Path(tmp))
            text = (folder / task.file).read_text(encoding="utf-8")
            try:
                diagnostic_offsets(task, text)
            except ValueError as exc:
                problems.append(str(exc))
            ok, _ = run_check(task, folder)
            if ok:
                problems.append(f"{task.name}: the check passes on the buggy file")
            shutil.copy(task.folder / "reference" / task.file, folder / task.file)
            ok, why = run_check(task, folder)
            if not ok:
                problems.append(f"{task.name}: the check fails on the reference fix: {why}")
    return problems


async def _run_one(session: Any, task: FixTaskSpec, workspace: Path) -> Outcome:
    out = Outcome(task.name, task.split, task.kind, task.language, fixed=False)
    folder = _copy(task, workspace)
    rel = f"{task.split}/{task.name}/{task.file}"
    text = (folder / task.file).read_text(encoding="utf-8")
    language = LANGUAGE_IDS.get(Path(task.file).suffix, task.language)
    session.open(rel, text, language)
    start, end = diagnostic_offsets(task, text)
    from infilld.lsp.convert import position_at

    diag = types.Diagnostic(
        range=types.Range(position_at(text, start), position_at(text, end)),
        message=task.message,
        severity=types.DiagnosticSeverity.Error,
        code=task.code or None,
        source=task.source or None,
    )
    actions, out.list_ms = await session.code_actions(rel, start, end, [diag])
    fix = next((a for a in actions if a.title.startswith("Fix this")), None)
    if fix is None:
        out.failure = "no action listed"
        return out
    seen = len(session.messages)
    t0 = time.monotonic()
    pending = asyncio.ensure_future(session.resolve_code_action(fix))
    await asyncio.sleep(0.3)
    if not pending.done():  # list again while the model works: must not wait on it
        _, out.list_busy_ms = await session.code_actions(rel, start, end, [diag])
    resolved = await pending
    out.latency_ms = (time.monotonic() - t0) * 1000
    if resolved.edit is None:
        msgs = session.messages[seen:]
        prefix = f"infilld: {fix.title}: "
        reason = msgs[-1].removeprefix(prefix) if msgs else "no edit and no message"
        out.failure = f"refused: {reason}"
        return out
    session.apply_workspace_edit(resolved.edit)
    new_text = session.texts[session.uri(rel)]
    (folder / task.file).write_text(new_text, encoding="utf-8")
    for change in resolved.edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit):
            for e in change.edits:
                if isinstance(e, types.TextEdit):
                    out.changed_lines += max(
                        e.range.end.line - e.range.start.line, e.new_text.count("\n")
                    )
    ok, why = run_check(task, folder)
    out.fixed = ok
    if not ok:
        out.failure = f"check failed: {why}"
        import difflib

        out.detail = [
            ln.rstrip("\n")
            for ln in difflib.unified_diff(
                text.splitlines(True), new_text.splitlines(True), n=0, lineterm=""
            )
        ][2:]
    return out


async def run_tasks(
    tasks: list[FixTaskSpec], server_args: list[str], verbose: bool = False
) -> list[Outcome]:
    from infilld.lsp.client import EditorSession

    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="infilld-fix-bench-") as tmp:
        workspace = Path(tmp)
        logs: list[str] = []
        session = EditorSession(workspace, server_args, on_log=logs.append)
        t0 = time.monotonic()
        await session.start()
        print(f"server ready in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        try:
            for task in tasks:
                outcome = await _run_one(session, task, workspace)
                outcomes.append(outcome)
                mark = "FIXED" if outcome.fixed else "fail "
                print(
                    f"{mark} {task.split:7} {task.name:28} {outcome.latency_ms / 1000:6.1f} s"
                    f"  {outcome.failure}",
                    file=sys.stderr,
                )
                if verbose:
                    for line in outcome.detail:
                        print(f"        {line}", file=sys.stderr)
        finally:
            await session.stop()
    return outcomes


def summarize(outcomes: list[Outcome], model: str) -> str:
    """A markdown report: per task, then per set."""
    rows = [
        f"Model: `{model}`",
        "",
        "| set | task | kind | lang | fixed | latency s | list ms (idle / busy) | failure |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        busy = f"{o.list_busy_ms:.1f}" if o.list_busy_ms is not None else "-"
        rows.append(
            f"| {o.split} | {o.task} | {o.kind} | {o.language} | {'yes' if o.fixed else 'no'} | "
            f"{o.latency_ms / 1000:.1f} | {o.list_ms:.1f} / {busy} | {o.failure.replace('|', '/')} |"
        )
    rows += [
        "",
        "| set | fixed | rate | median latency s | max list ms (busy) |",
        "|---|---|---|---|---|",
    ]
    for split in (*SETS, "all"):
        group = [o for o in outcomes if split == "all" or o.split == split]
        if not group:
            continue
        fixed = sum(o.fixed for o in group)
        loaded = [o.list_busy_ms for o in group if o.list_busy_ms is not None]
        rows.append(
            f"| {split} | {fixed}/{len(group)} | {fixed / len(group):.0%} | "
            f"{statistics.median(o.latency_ms for o in group) / 1000:.1f} | "
            f"{max(loaded) if loaded else 0:.1f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="infilld bench fix", description=__doc__)
    p.add_argument("--model", help="registry name or GGUF path (default: the default model)")
    p.add_argument("--backend", choices=["llama", "fake"], help="model backend (default llama)")
    p.add_argument("--threads", type=int, help="CPU threads for the model")
    p.add_argument("--set", dest="split", choices=[*SETS, "all"], default="dev")
    p.add_argument("--task", action="append", help="only tasks whose name contains this")
    p.add_argument("--tasks-dir", type=Path, default=None, help="folder with dev/ and heldout/")
    p.add_argument("--validate", action="store_true", help="check the task set itself, no model")
    p.add_argument("--json", type=Path, help="write the outcomes as JSON here")
    p.add_argument("--markdown", type=Path, help="write the report (markdown) here")
    p.add_argument("-v", "--verbose", action="store_true", help="print the diff of wrong fixes")
    args = p.parse_args(argv)
    root = args.tasks_dir or default_tasks_dir()
    tasks = load_tasks(root, args.split, args.task)
    if not tasks:
        print(f"no tasks found under {root}", file=sys.stderr)
        return 2
    if args.validate:
        problems = validate(tasks)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(tasks)} tasks, {len(problems)} problems")
        return 1 if problems else 0
    server_args = ["serve"]
    if args.model:
        server_args += ["--model", args.model]
    if args.backend:
        server_args += ["--backend", args.backend]
    if args.threads:
        server_args += ["--threads", str(args.threads)]
    outcomes = asyncio.run(run_tasks(tasks, server_args, args.verbose))
    from infilld.config import DEFAULT_MODEL

    report = summarize(outcomes, args.model or (args.backend == "fake" and "fake") or DEFAULT_MODEL)
    print(report)
    if args.markdown:
        args.markdown.write_text(report + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=2), encoding="utf-8")
    return 0
