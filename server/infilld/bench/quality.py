"""`infilld bench quality`: does repository context make line completions right more often?

For each repository it mines line-completion tasks (bench/tasks.py: finish a line that uses a
symbol defined in another file, with the answer removed from the buffer), then runs the real
completion engine on every task once per context mode, all at the same token budget:

  none     file-level FIM only (no repository block)
  ring     a llama.vscode-like ring of 64-line chunks from recently opened files (bench/ring.py)
  infilld  engine/context.select_context over the workspace index (given the same recent chunks
           as "recently viewed regions", so both modes know the same editor session)
  infilld-open  the block the server uses until it follows the cursor: selected once per file,
           as when the file is opened (the cursor unknown, so at the end of the buffer), and
           reused for all its tasks
  similar  Continue/Tabby-like retrieval: 20-line windows of the whole repository most like the
           10 lines before the cursor (bench/similar.py)
  oracle   the definitions of the names in the answer, task symbol first (engine/context
           .definition_context): what a perfect ranking would show. It reads the answer, so it is
           a ceiling for selection, never something the server could do; not run by default

Each mode runs over all tasks in (file, line) order with one engine, as an editor would send
them, so the KV-cache reuse a mode earns within a file shows in its latency. The model is loaded
once and shared by the modes; decoding is greedy. Scores are defined in bench/metrics.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from infilld.backends.base import Backend
from infilld.bench.metrics import identifiers, score
from infilld.bench.repos import BenchRepo, default_cache, fetch_repo, load_repos, repo_dir
from infilld.bench.ring import Chunk, fill_ring, pick_chunks, recent_files, snippet_cost
from infilld.bench.similar import select_similar
from infilld.bench.tasks import LineTask, extract_tasks
from infilld.config import DEFAULT_MODEL, Settings, load_settings
from infilld.engine.completer import CompletionEngine, CompletionRequest, ContextProvider
from infilld.engine.context import definition_context, select_context
from infilld.engine.prompt import Snippet
from infilld.errors import InfilldError
from infilld.index import WorkspaceIndex

MODES = ("none", "ring", "infilld", "infilld-norecent", "infilld-open", "similar", "oracle")
DEFAULT_MODES = ("none", "ring", "infilld")


class TaskResult(msgspec.Struct, kw_only=True):
    repo: str
    mode: str
    path: str
    line: int  # 1-based, as editors show it
    symbol: str
    truth: str
    suggestion: str
    exact: bool
    edit_similarity: float
    identifier_f1: float
    first_identifier: bool
    latency_ms: float
    prompt_tokens: int
    evaluated_tokens: int
    generated_tokens: int
    context_tokens: int
    stop_reason: str
    member: bool = False  # the task's LineTask.member: `x.symbol` in Python or JS/TS


class Summary(msgspec.Struct, kw_only=True):
    repo: str
    mode: str
    tasks: int
    exact: float
    edit_similarity: float
    identifier_f1: float
    first_identifier: float
    latency_ms_median: float
    latency_ms_mean: float
    prompt_tokens_mean: float
    evaluated_tokens_mean: float
    context_tokens_mean: float


class Repo(msgspec.Struct):
    name: str
    root: Path
    split: str = "adhoc"


def summarize(repo: str, mode: str, results: Sequence[TaskResult]) -> Summary:
    n = len(results)

    def mean(values: Sequence[float]) -> float:
        return statistics.fmean(values) if values else 0.0

    latencies = [r.latency_ms for r in results]
    return Summary(
        repo=repo,
        mode=mode,
        tasks=n,
        exact=mean([float(r.exact) for r in results]),
        edit_similarity=mean([r.edit_similarity for r in results]),
        identifier_f1=mean([r.identifier_f1 for r in results]),
        first_identifier=mean([float(r.first_identifier) for r in results]),
        latency_ms_median=statistics.median(latencies) if latencies else 0.0,
        latency_ms_mean=mean(latencies),
        prompt_tokens_mean=mean([float(r.prompt_tokens) for r in results]),
        evaluated_tokens_mean=mean([float(r.evaluated_tokens) for r in results]),
        context_tokens_mean=mean([float(r.context_tokens) for r in results]),
    )


# ------------------------------------------------------------------------------ context modes


class _Session:
    """The simulated editor session of one repository: recently opened files per current file."""

    def __init__(self, index: WorkspaceIndex, seed: int, *, near_code: bool = False) -> None:
        self.index = index
        self.seed = seed
        self.near_code = near_code  # infilld's modes: code like the cursor's first (--near-code)
        self._chunks: dict[str, list[Chunk]] = {}
        self.task: LineTask | None = None  # the task being completed (only the oracle reads it)

    def chunks(self, rel: str) -> list[Chunk]:
        """Recent chunks for `rel`, newest first (computed once per file: the session is fixed)."""
        if rel not in self._chunks:
            files = recent_files(self.index, rel, seed=self.seed)
            self._chunks[rel] = pick_chunks(self.index, rel, files, seed=self.seed)
        return self._chunks[rel]


def make_provider(mode: str, session: _Session, spent: list[int]) -> ContextProvider | None:
    """The engine's context provider for `mode`; `spent[0]` receives the tokens it used."""
    index = session.index
    if mode == "none":
        return None

    def record(snippets: list[Snippet], count_tokens: Callable[[str], int]) -> list[Snippet]:
        spent[0] = sum(snippet_cost(s.path, s.text, count_tokens) for s in snippets)
        return snippets

    per_file: dict[str, list[Snippet]] = {}  # infilld-open: each file's block

    def ring(
        path: Path, text: str, offset: int, budget: int, count_tokens: Callable[[str], int]
    ) -> list[Snippet]:
        rel = index.relpath(path) or path.name
        chosen = fill_ring(session.chunks(rel), budget, count_tokens)
        return record([Snippet(path=c.path, text=c.text) for c in chosen], count_tokens)

    def infilld(
        path: Path, text: str, offset: int, budget: int, count_tokens: Callable[[str], int]
    ) -> list[Snippet]:
        rel = index.relpath(path) or path.name
        recent = (
            [(index.abspath(c.path), c.text) for c in session.chunks(rel)]
            if mode != "infilld-norecent"
            else []
        )
        if mode == "infilld-open":
            if rel in per_file:
                return record(per_file[rel], count_tokens)
            offset = len(text)  # didOpen: the server does not know the cursor yet
        found = select_context(
            index, path, text, offset, budget_tokens=budget, count_tokens=count_tokens,
            recent=recent, near_code=session.near_code,
        )  # fmt: skip
        snippets = list(found)  # select_context's snippets are the prompt's Snippet type
        if mode == "infilld-open":
            per_file[rel] = snippets
        return record(snippets, count_tokens)

    def similar(
        path: Path, text: str, offset: int, budget: int, count_tokens: Callable[[str], int]
    ) -> list[Snippet]:
        chosen = select_similar(index, path, text, offset, budget, count_tokens)
        return record([Snippet(path=c.path, text=c.text) for c in chosen], count_tokens)

    def oracle(
        path: Path, text: str, offset: int, budget: int, count_tokens: Callable[[str], int]
    ) -> list[Snippet]:
        task = session.task
        if task is None:
            return []
        names = [task.symbol, *identifiers(task.truth)]
        found = definition_context(
            index, path, text, names, budget_tokens=budget, count_tokens=count_tokens
        )
        return record(list(found), count_tokens)

    if mode == "ring":
        return ring
    if mode == "similar":
        return similar
    if mode == "oracle":
        return oracle
    if mode in ("infilld", "infilld-norecent", "infilld-open"):
        return infilld
    raise InfilldError(f"unknown context mode {mode!r}; choose from {', '.join(MODES)}")


# ------------------------------------------------------------------------------ running


async def run_mode(
    repo: str,
    root: Path,
    index: WorkspaceIndex,
    tasks: Sequence[LineTask],
    mode: str,
    backend: Backend,
    settings: Settings,
    session: _Session,
    progress: Callable[[TaskResult, int, int], None] | None = None,
) -> list[TaskResult]:
    """Every task through one engine with `mode`'s context provider."""
    spent = [0]
    engine = CompletionEngine(backend, settings, make_provider(mode, session, spent))
    results: list[TaskResult] = []
    for i, task in enumerate(tasks):
        path = index.abspath(task.path)
        # The index must see the buffer without the answer, as it would see an editor's buffer.
        index.update_buffer(path, task.buffer)
        engine.forget(path)  # no typed-through cache hits between tasks
        engine.last = None
        spent[0] = 0
        session.task = task
        start = time.monotonic()
        try:
            got = await engine.complete(
                CompletionRequest(
                    path=path, text=task.buffer, offset=task.offset, workspace_root=root
                )
            )
        finally:
            index.close_buffer(path)
        latency = (time.monotonic() - start) * 1000
        last = engine.last
        text = got.text if got is not None else ""
        s = score(text, task.truth)
        result = TaskResult(
            repo=repo,
            mode=mode,
            path=task.path,
            line=task.line + 1,
            symbol=task.symbol,
            truth=task.truth,
            suggestion=text,
            exact=s.exact,
            edit_similarity=s.edit_similarity,
            identifier_f1=s.identifier_f1,
            first_identifier=s.first_identifier,
            member=task.member,
            latency_ms=latency,
            prompt_tokens=last.prompt_tokens if last else 0,
            evaluated_tokens=last.evaluated_tokens if last else 0,
            generated_tokens=last.generated_tokens if last else 0,
            context_tokens=spent[0],
            stop_reason=last.stop_reason if last else "none",
        )
        results.append(result)
        if progress is not None:
            progress(result, i + 1, len(tasks))
    return results


def bench_settings(*, model: str, backend: str, budget: int, threads: int | None) -> Settings:
    """Engine settings for the benchmark: the defaults, except that a line is asked for (single-
    line post-processing), the budget is the one under test, and no deadline cuts a slow prompt
    short (this measures quality; latency is reported, not enforced)."""
    raw: dict[str, object] = {
        "model": {
            "name": model,
            "backend": backend,
            "cacheReuse": 0,
            **({"threads": threads} if threads else {}),
        },
        # Every task as a fresh prompt: windows of the full prefixLines (not the cold cut a first
        # request in a file gets) and no cached runs moved between tasks, so a task's result
        # depends on its prompt only, never on the task before it.
        "completion": {
            "multiline": "never",
            "timeoutMs": 600_000,
            "maxTokens": 64,
            "coldPrefixLines": 0,
        },
        "context": {"enable": True, "budgetTokens": budget},
    }
    settings, problems = load_settings(raw)
    if problems:
        raise InfilldError("; ".join(problems))
    return settings


def markdown_table(summaries: Sequence[Summary]) -> str:
    head = (
        "| repo | mode | tasks | exact | edit sim | ident F1 | first ident | latency p50 ms "
        "| latency mean ms | prompt tok | evaluated tok | context tok |\n"
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    )
    rows = [
        f"| {s.repo} | {s.mode} | {s.tasks} | {s.exact:.1%} | {s.edit_similarity:.3f} "
        f"| {s.identifier_f1:.3f} | {s.first_identifier:.1%} | {s.latency_ms_median:.0f} "
        f"| {s.latency_ms_mean:.0f} | {s.prompt_tokens_mean:.0f} "
        f"| {s.evaluated_tokens_mean:.0f} | {s.context_tokens_mean:.0f} |"
        for s in summaries
    ]
    return head + "\n".join(rows) + "\n"


METRICS_NOTE = (
    "exact: the suggestion's first line equals the rest of the line (whitespace-trimmed). "
    "edit sim: difflib ratio of the two first lines. ident F1: F1 of the identifiers (keywords "
    "left out, repeats counted) of the two first lines. first ident: the suggestion's first "
    "identifier is the cross-file symbol the task was built on. latency: wall time per request, "
    "prompt evaluation included (KV cache reused within a file). prompt tok: tokens in the "
    "prompt; evaluated tok: prompt tokens not found in the KV cache (the CPU cost, independent "
    "of machine load); context tok: tokens of repository context in it (budgeted)."
)


# Rows that split a run's tasks: Python and JS/TS members (`x.name`), and all the others.
NAMES_ROW, MEMBERS_ROW = "all: other tasks", "all: Python and JS/TS members (x.name)"


def split_by_kind(results: Sequence[TaskResult], modes: Sequence[str]) -> list[Summary]:
    """Per mode, one summary of the Python and JS/TS member tasks (`x.name`; see
    bench/tasks.py) and one of all the other tasks, when a run has both, so that either can be
    read alone (the other tasks are those the benchmark counted before members did)."""
    if not any(r.member for r in results) or all(r.member for r in results):
        return []
    rows: list[Summary] = []
    for label, member in ((NAMES_ROW, False), (MEMBERS_ROW, True)):
        for mode in modes:
            picked = [r for r in results if r.mode == mode and r.member is member]
            rows.append(summarize(label, mode, picked))
    return rows


def overall_rows(
    results: Sequence[TaskResult], names: Sequence[str], modes: Sequence[str]
) -> tuple[list[Summary], list[str]]:
    """The rows over a run's repositories together ("all", when there are several, and the
    member / other split), and the names whose ratios the report prints: the repositories,
    then those rows."""
    rows = []
    if len(names) > 1:
        rows = [summarize("all", m, [r for r in results if r.mode == m]) for m in modes]
    rows += split_by_kind(results, modes)
    return rows, [*names, *dict.fromkeys(s.repo for s in rows)]


def ratios(summaries: Sequence[Summary], repo: str) -> str:
    by_mode = {s.mode: s for s in summaries if s.repo == repo}
    base = by_mode.get("none")
    parts = []
    for mode in ("ring", "infilld", "infilld-norecent"):
        s = by_mode.get(mode)
        if s is None or base is None:
            continue
        ratio = f"{s.exact / base.exact:.2f}x" if base.exact else "n/a (none scored 0)"
        parts.append(f"{mode}/none exact = {ratio}")
    return f"{repo}: " + ", ".join(parts) if parts else ""


def selected_repos(entries: Sequence[BenchRepo], split: str | None) -> list[BenchRepo]:
    """The entries of a split; "all" (or none given, for --fetch alone) is the issue's two sets,
    dev and heldout: `other` needs apt-get, which a Mac or Windows machine lacks."""
    if split in (None, "all"):
        return [e for e in entries if e.split in ("dev", "heldout")]
    return [e for e in entries if e.split == split]


def _repos_from_args(args: argparse.Namespace) -> list[Repo]:
    repos: list[Repo] = []
    cache = Path(args.cache) if args.cache else default_cache()
    if args.set or args.fetch:
        for entry in selected_repos(load_repos(), args.set):
            if args.fetch:
                print(f"fetching {entry.name} {entry.version} ...", file=sys.stderr)
                root = fetch_repo(entry, cache)
            else:
                root = repo_dir(entry, cache)
                if not root.is_dir():
                    raise InfilldError(
                        f"{entry.name} {entry.version} is not fetched yet; "
                        "run `infilld bench quality --fetch`"
                    )
            if args.set:
                repos.append(Repo(entry.name, root, entry.split))
    for d in args.repo or []:
        root = Path(d).resolve()
        if not root.is_dir():
            raise InfilldError(f"--repo {d}: not a directory")
        repos.append(Repo(_unique_name(root, {r.name for r in repos}), root))
    return repos


# Folder names that say nothing about the project: every npm tarball unpacks to `package/`.
_GENERIC_FOLDERS = frozenset({"src", "lib", "package", "source", "sources"})


def _unique_name(root: Path, taken: set[str]) -> str:
    """A --repo folder's name in the tables: its path from the nearest folder whose name says
    which project it is (`a2a_sdk-0.3.0/src`, `zod-3.24.1/package`, `tanstack-ai/package/src`),
    and more of the path while the name is taken."""
    parts = root.parts
    depth = 1
    while depth < len(parts) and parts[-depth] in _GENERIC_FOLDERS:
        depth += 1
    name = "/".join(parts[-depth:])
    while name in taken and depth < len(parts):
        depth += 1
        name = "/".join(parts[-depth:])
    return name


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="infilld bench quality",
        description="Exact match, edit similarity and identifier match of line completions with "
        "no context, a llama.vscode-like ring and infilld's repository context, at one budget.",
    )
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", action="append", help="repository folder (repeatable)")
    p.add_argument(
        "--set",
        choices=["dev", "heldout", "other", "all"],
        help="run the repositories of quality_repos.toml in this split (all: dev and heldout; "
        "other: Go, Rust, PHP, Java and C#, older code, fetched partly with apt-get)",
    )
    p.add_argument(
        "--fetch", action="store_true", help="download and unpack quality_repos.toml's repositories"
    )
    p.add_argument(
        "--cache", help="where fetched repositories live (default ~/.cache/infilld/bench-repos)"
    )
    p.add_argument("--tasks", type=int, default=40, help="tasks per repository (default 40)")
    p.add_argument("--per-file", type=int, default=3, help="most tasks per file (default 3)")
    shipped = Settings().context.budget_tokens  # measure what the server uses unless told
    p.add_argument(
        "--budget",
        type=int,
        default=shipped,
        help=f"context tokens per prompt (default {shipped}: the context.budgetTokens default)",
    )
    p.add_argument(
        "--modes", default=",".join(DEFAULT_MODES), help=f"comma list of {', '.join(MODES)}"
    )
    p.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"model name or GGUF path (default {DEFAULT_MODEL})"
    )
    p.add_argument("--backend", choices=["llama", "fake"], default="llama")
    p.add_argument("--threads", type=int, help="CPU threads (default: physical cores)")
    p.add_argument("--seed", type=int, default=0, help="task sampling seed (default 0)")
    near = Settings().context.near_code
    p.add_argument(
        "--near-code",
        action=argparse.BooleanOptionalAction,
        default=near,
        help="infilld's modes put code like the lines above the cursor first (engine/near_code.py;"
        f" default {'on' if near else 'off'}, as context.nearCode)",
    )
    p.add_argument("--json", dest="json_out", help="write per-task results and summaries here")
    p.add_argument("--quiet", action="store_true", help="no per-task progress on stderr")
    p.add_argument(
        "--report",
        nargs="+",
        metavar="JSON",
        help="only print the table of earlier --json outputs (no model, no repositories)",
    )
    p.add_argument(
        "--pool",
        action="store_true",
        help="with --report: one table over the distinct tasks of all the files (each task "
        "counted once), with the tasks each mode won and lost against none and ring",
    )


def print_report(summaries: Sequence[Summary], repo_names: Sequence[str]) -> None:
    print(markdown_table(summaries))
    for name in repo_names:
        line = ratios(summaries, name)
        if line:
            print(f"- {line}")
    print(f"\n{METRICS_NOTE}")


# Why a repository can offer no task (bench/tasks.py has the rules).
NO_TASKS = (
    "no line uses a symbol that another of its files defines and the line's file imports "
    "(tasks come from Python, JS/TS, Go, Rust, Java, C/C++, C#, PHP and Bash files; files "
    "without a grammar offer none)"
)


def pooled(results: Sequence[TaskResult]) -> list[TaskResult]:
    """Each task once per mode, its first result kept: runs with other seeds draw some of the
    same tasks, and a task counted twice would weigh twice."""
    seen: set[tuple[str, str, str, int, str]] = set()
    kept: list[TaskResult] = []
    for r in results:
        key = (r.repo, r.mode, r.path, r.line, r.truth)
        if key not in seen:
            seen.add(key)
            kept.append(r)
    return kept


def won_lost(results: Sequence[TaskResult], mode: str, against: str) -> tuple[int, int]:
    """The tasks `mode` got exact and `against` did not, and the reverse (tasks both ran)."""
    theirs = {(r.repo, r.path, r.line, r.truth): r.exact for r in results if r.mode == against}
    differ = [
        r.exact
        for r in results
        if r.mode == mode and theirs.get((r.repo, r.path, r.line, r.truth), r.exact) != r.exact
    ]
    return sum(differ), len(differ) - sum(differ)


def report_pooled(paths: Sequence[str]) -> int:
    """One table over the distinct tasks of several runs (seeds, or repositories run apart):
    per repository, all of them, and the member / other split, with each mode's tasks won and
    lost against no context and the ring."""
    results: list[TaskResult] = []
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        results.extend(msgspec.convert(data["results"], list[TaskResult]))
    results = pooled(results)
    modes = list(dict.fromkeys(r.mode for r in results))
    names = list(dict.fromkeys(r.repo for r in results))
    summaries = [
        summarize(name, mode, picked)
        for name in names
        for mode in modes
        if (picked := [r for r in results if r.repo == name and r.mode == mode])
    ]
    overall, scopes = overall_rows(results, names, modes)
    print(f"Distinct tasks of: {', '.join(paths)}\n")
    print_report([*summaries, *overall], scopes)
    for mode in modes:
        for against in ("none", "ring"):
            if mode != against and against in modes:
                won, lost = won_lost(results, mode, against)
                print(f"- {mode} against {against}: won {won}, lost {lost}")
    return 0


def report_from_json(paths: Sequence[str], *, pool: bool = False) -> int:
    """Re-print the tables of earlier runs (`--json` files), one section per file, or with
    `pool` one table over their distinct tasks."""
    if pool:
        return report_pooled(paths)
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        summaries = msgspec.convert(data["summaries"], list[Summary])
        names = list(dict.fromkeys(s.repo for s in summaries))
        print(f"Command: `{data['command']}`\n")
        print_report(summaries, names)
        print()
    return 0


def run_quality(args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    if args.report:
        return report_from_json(args.report, pool=args.pool)
    if args.pool:
        raise InfilldError("--pool goes with --report: it pools the tasks of earlier --json runs")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for m in modes:
        if m not in MODES:
            raise InfilldError(f"unknown mode {m!r}; choose from {', '.join(MODES)}")
    repos = _repos_from_args(args)
    if not repos:
        if args.fetch:
            return 0
        raise InfilldError("no repositories: pass --repo DIR or --set dev|heldout|all")
    settings = bench_settings(
        model=args.model, backend=args.backend, budget=args.budget, threads=args.threads
    )
    command = "infilld bench quality " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[3:])
    )
    return asyncio.run(_run(args, repos, modes, settings, command))


async def _run(
    args: argparse.Namespace, repos: list[Repo], modes: list[str], settings: Settings, command: str
) -> int:
    from infilld.backends.factory import create_backend

    backend = create_backend(settings.model)
    await asyncio.wrap_future(backend.submit(lambda: backend.load(None)))
    all_results: list[TaskResult] = []
    summaries: list[Summary] = []
    measured: list[str] = []  # the repositories that offered tasks

    def progress(r: TaskResult, i: int, n: int) -> None:
        if not args.quiet:
            mark = "=" if r.exact else "x"
            print(
                f"[{r.repo} {r.mode} {i}/{n}] {mark} {r.latency_ms:6.0f} ms "
                f"prompt={r.prompt_tokens} ctx={r.context_tokens} {r.path}:{r.line} "
                f"want {r.truth[:50]!r} got {r.suggestion.split(chr(10))[0][:50]!r}",
                file=sys.stderr,
                flush=True,
            )

    def dump() -> None:
        if args.json_out:
            payload = {
                "command": command,
                "settings": msgspec.to_builtins(settings),
                "repos": [{"name": r.name, "root": str(r.root), "split": r.split} for r in repos],
                "summaries": msgspec.to_builtins(summaries),
                "results": msgspec.to_builtins(all_results),
            }
            Path(args.json_out).write_text(json.dumps(payload, indent=1), encoding="utf-8")

    async def measure(repo: Repo, index: WorkspaceIndex) -> None:
        index.build()
        tasks = extract_tasks(index, per_repo=args.tasks, per_file=args.per_file, seed=args.seed)
        print(f"{repo.name}: {len(index.files())} files, {len(tasks)} tasks", file=sys.stderr)
        if not tasks:
            print(f"{repo.name}: {NO_TASKS}; left out of the table", file=sys.stderr)
            return
        measured.append(repo.name)
        session = _Session(index, args.seed, near_code=args.near_code)
        for mode in modes:
            results = await run_mode(
                repo.name, repo.root, index, tasks, mode, backend, settings, session, progress
            )
            all_results.extend(results)
            summaries.append(summarize(repo.name, mode, results))
            dump()

    try:
        for repo in repos:
            with tempfile.TemporaryDirectory(prefix="infilld-bench-index-") as cache_dir:
                # A fresh index per run: nothing persisted from another run can leak in.
                index = WorkspaceIndex(repo.root, cache_dir=Path(cache_dir))
                try:
                    await measure(repo, index)
                finally:
                    index.close()
    finally:
        backend.close()
    if not measured:
        raise InfilldError(f"no tasks in {', '.join(r.name for r in repos)}: {NO_TASKS}")
    overall, scopes = overall_rows(all_results, measured, modes)
    summaries.extend(overall)
    dump()
    print(f"\nCommand: `{command}`  (model {settings.model.name}, budget {args.budget} tokens)\n")
    print_report(summaries, scopes)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `infilld bench quality ARGS` (argv without the `bench quality` words)."""
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    return run_quality(args, argv)


__all__ = [
    "MODES",
    "Summary",
    "TaskResult",
    "add_arguments",
    "bench_settings",
    "main",
    "make_provider",
    "markdown_table",
    "pooled",
    "run_mode",
    "run_quality",
    "split_by_kind",
    "summarize",
    "won_lost",
]
