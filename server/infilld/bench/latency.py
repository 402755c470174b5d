"""`infilld bench latency`: replay an editing session over LSP and report time-to-suggestion.

The session (session_script.py) types lines of real files back at a human rhythm. Like VS Code,
the simulated editor asks for an inline completion after every keystroke and cancels the previous
request with `$/cancelRequest`; at a pause it waits for the answer. Reported: p50/p95 time to the
suggestion at pauses, typed-through answers, prompt tokens evaluated per request, cache hits, tokens
per second and the server's peak resident memory, plus a PNG histogram; and the match rate, the
share of pauses whose suggestion was exactly how the line goes on.

With `--peer-llama-server PATH` the same script is replayed against llama-server's `/infill` (peer.py)
the way llama.vscode calls it, one request per pause, and the ratio of the two is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from lsprotocol import types

from infilld.bench.session_script import (
    Visit,
    accepted_part,
    histogram_png,
    line_offset,
    make_script,
    percentile,
)
from infilld.errors import InfilldError
from infilld.lsp.convert import position_at
from infilld.lsp.documents import CURSOR_NOTIFICATION
from infilld.memory import proc_memory_mb

DEFAULT_FILES = ("engine/postprocess.py", "engine/prompt.py", "lsp/completion.py")
ACCEPT_PROBABILITY = 0.7
# Between opening a file and the first keystroke: a developer looks at a file they just opened
# before typing in it. Both systems get the same idle time; infilld uses it to prefill.
OPEN_THINK_S = 2.0
# Within it, the user clicks the line to edit after CLICK_AFTER_S, and the VS Code extension
# reports the cursor once it has rested CURSOR_REST_S (editor-client/src/cursorReporter.ts).
CLICK_AFTER_S = 1.0
CURSOR_REST_S = 0.4
RSS_SAMPLE_S = 30.0  # --minutes: how often the server's resident size is sampled
# --minutes under PYTHONTRACEMALLOC: the allocation snapshot the end-of-run growth is measured
# against is taken this far in (after start-up and the first files' caches have filled).
ALLOCATION_BASELINE_S = 300.0
ALLOCATION_SITES = 15


class Sample(msgspec.Struct, frozen=True):
    kind: str  # "pause" | "first" (first pause in a newly opened file) | "accept" | "typed"
    latency_ms: float
    shown: bool  # a suggestion came back
    matched: bool = False  # its first line is exactly how the line goes on (what a user accepts)


class RunResult(msgspec.Struct, kw_only=True):
    system: str
    samples: list[Sample] = msgspec.field(default_factory=list)
    evaluated_tokens: list[int] = msgspec.field(default_factory=list)
    requests: int = 0
    cache_hits: int = 0
    tokens_per_second: float = 0.0
    peak_rss_mb: float = 0.0
    rss_mb_after_load: float = 0.0
    rss_mb_end: float = 0.0
    wall_s: float = 0.0
    extra: dict[str, Any] = msgspec.field(default_factory=dict)

    def pause_ms(self) -> list[float]:
        return [s.latency_ms for s in self.samples if s.kind in ("pause", "first", "accept")]

    def summary(self) -> dict[str, Any]:
        pauses = self.pause_ms()
        typed = [s.latency_ms for s in self.samples if s.kind == "typed"]
        first = [s.latency_ms for s in self.samples if s.kind == "first"]
        shown = [s for s in self.samples if s.kind != "typed"]
        asked = [s for s in self.samples if s.kind in ("pause", "first")]
        return {
            "system": self.system,
            "pauses": len(pauses),
            "p50_ms": round(percentile(pauses, 50), 1),
            "p95_ms": round(percentile(pauses, 95), 1),
            "first_in_file_p50_ms": round(percentile(first, 50), 1),
            "typed_through": len(typed),
            "typed_through_p50_ms": round(percentile(typed, 50), 1),
            "typed_through_max_ms": round(max(typed), 1) if typed else 0.0,
            "suggestion_rate": round(sum(s.shown for s in shown) / len(shown), 2) if shown else 0,
            # Pauses (not counting right after an accept) whose suggestion was right: a quality
            # figure from the same session, comparable between systems and settings.
            "match_rate": round(sum(s.matched for s in asked) / len(asked), 2) if asked else 0,
            "median_evaluated_tokens": (
                statistics.median(self.evaluated_tokens) if self.evaluated_tokens else 0
            ),
            "requests": self.requests,
            "cache_hit_rate": round(self.cache_hits / self.requests, 2) if self.requests else 0,
            "tokens_per_second": round(self.tokens_per_second, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "rss_mb_after_load": round(self.rss_mb_after_load, 1),
            "rss_mb_end": round(self.rss_mb_end, 1),
            "wall_s": round(self.wall_s, 1),
            **self.extra,
        }


def _coin(seed: int, index: int) -> random.Random:
    """The same accept decisions for every system replaying visit `index`."""
    return random.Random(seed * 1_000_003 + index)


# -- infilld over LSP --------------------------------------------------------------------------
class _Lsp:
    """Raw requests with ids, so the simulated editor can send real `$/cancelRequest`s."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.ids = itertools.count(1_000_000)

    def ask(self, rel: str, offset: int) -> tuple[int, asyncio.Future[Any], float]:
        from infilld.lsp.convert import position_at

        uri = self.session.uri(rel)
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position_at(self.session.texts[uri], offset),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
        msg_id = next(self.ids)
        fut = self.session.client.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
        )
        afut = asyncio.wrap_future(fut) if not asyncio.isfuture(fut) else fut
        # Cancelled requests end with an error nobody awaits: retrieve it so asyncio stays quiet.
        afut.add_done_callback(lambda f: f.cancelled() or f.exception())
        return msg_id, afut, time.monotonic()

    def cancel(self, msg_id: int) -> None:
        self.session.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))

    def cursor(self, rel: str, offset: int) -> None:
        """`infilld/cursor`, as the VS Code extension sends it for a cursor at rest."""
        uri = self.session.uri(rel)
        pos = position_at(self.session.texts[uri], offset)
        self.session.client.protocol.notify(
            CURSOR_NOTIFICATION,
            {
                "textDocument": {"uri": uri},
                "position": {"line": pos.line, "character": pos.character},
            },
        )


def _text_of(result: Any) -> str | None:
    items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
    if not items:
        return None
    text = items[0].insert_text
    return text if isinstance(text, str) else text.value


async def run_infilld(
    script: list[Visit], root: Path, server_args: list[str], settings: dict[str, Any], seed: int,
    log: Callable[[str], None], minutes: float = 0.0, read_s: float = 0.0, save: bool = False,
) -> RunResult:  # fmt: skip
    from infilld.lsp.client import EditorSession

    session = EditorSession(root, server_args, settings)
    result = RunResult(system="infilld")
    await session.start()
    pid = session.server_pid()
    if pid:
        result.rss_mb_after_load = proc_memory_mb(pid)[0]
    lsp = _Lsp(session)
    t0 = time.monotonic()
    opened: set[str] = set()
    typed_through: list[asyncio.Task[None]] = []
    timeline: list[tuple[float, float]] = []  # (seconds, RSS MiB)
    heap: list[dict[str, float]] = []  # the server's own view: C heap in use / free, Python blocks

    async def sample_rss() -> None:
        while pid:
            timeline.append((round(time.monotonic() - t0), round(proc_memory_mb(pid)[0], 1)))
            if minutes:
                baseline = len(timeline) == int(ALLOCATION_BASELINE_S / RSS_SAMPLE_S) + 1
                ask = {"allocations": ALLOCATION_SITES} if baseline else {}
                mem = (await _stats(session, recent=0, **ask)).get("memory", {})
                heap.append({"s": round(time.monotonic() - t0), **mem})
            await asyncio.sleep(RSS_SAMPLE_S)

    sampler = asyncio.create_task(sample_rss())
    try:
        for index, visit in enumerate(script):
            if minutes and time.monotonic() - t0 > minutes * 60:
                break
            coin = _coin(seed, index)
            first = visit.file not in opened
            if first:
                session.open(visit.file, (root / visit.file).read_text(encoding="utf-8"))
                opened.add(visit.file)
                await asyncio.sleep(CLICK_AFTER_S + CURSOR_REST_S)
            text = session.texts[session.uri(visit.file)]
            start = line_offset(text, visit.line) + visit.indent
            if first:
                lsp.cursor(visit.file, start)
                await asyncio.sleep(OPEN_THINK_S - CLICK_AFTER_S - CURSOR_REST_S)
            end = text.index("\n", start) if "\n" in text[start:] else len(text)
            cursor = session.replace(visit.file, start, end, "")
            if read_s:
                await asyncio.sleep(read_s)  # --read: the user reads before typing the line
            typed = 0
            pending: tuple[int, asyncio.Future[Any], float] | None = None
            shown = ""  # the suggestion on screen (what is left of it)
            while typed <= len(visit.target):
                if typed in visit.pauses or (typed == 0 and first):
                    if pending is None:
                        pending = lsp.ask(visit.file, cursor)
                    _id, fut, sent = pending
                    suggestion = _text_of(await fut)
                    ms = (time.monotonic() - sent) * 1000
                    kind = "first" if first else "pause"
                    first = False
                    take = accepted_part(suggestion, visit.target[typed:])
                    result.samples.append(Sample(kind, ms, suggestion is not None, bool(take)))
                    log(f"  {kind:6} {ms:7.0f} ms  {visit.target[:typed]!r} -> {suggestion!r}")
                    pending = None
                    shown = suggestion or ""
                    if take and coin.random() < ACCEPT_PROBABILITY:
                        cursor = session.insert(visit.file, cursor, take)
                        typed += len(take)
                        # The user looks at the next suggestion right after accepting (Tab).
                        _id, fut, sent = lsp.ask(visit.file, cursor)
                        nxt = _text_of(await fut)
                        ms = (time.monotonic() - sent) * 1000
                        result.samples.append(Sample("accept", ms, nxt is not None))
                        log(f"  accept {ms:7.0f} ms  took {take!r} -> {nxt!r}")
                        shown = nxt or ""
                    await asyncio.sleep(visit.think)
                if typed >= len(visit.target):
                    break
                await asyncio.sleep(visit.gaps[typed])
                if pending is not None and not pending[1].done():
                    lsp.cancel(pending[0])
                ch = visit.target[typed]
                cursor = session.insert(visit.file, cursor, ch)
                typed += 1
                pending = lsp.ask(visit.file, cursor)
                if shown.startswith(ch) and len(shown) > 1:
                    shown = shown[1:]
                    typed_through.append(asyncio.create_task(_track(pending, result)))
                else:
                    shown = ""
            if pending is not None and not pending[1].done():
                lsp.cancel(pending[0])
            if save:  # --save: the editor writes the file after the line (a save, auto-save)
                text = session.texts[session.uri(visit.file)]
                (root / visit.file).write_text(text, encoding="utf-8")
        await asyncio.gather(*typed_through, return_exceptions=True)
        result.wall_s = time.monotonic() - t0
        stats = await _stats(session, **({"allocations": ALLOCATION_SITES} if minutes else {}))
        recent = stats.get("recent", [])
        result.evaluated_tokens = [
            int(r["evaluated_tokens"]) for r in recent if r["source"] == "model"
        ]
        result.requests = int(stats.get("requests", 0))
        result.cache_hits = int(stats.get("cacheHits", 0))
        result.tokens_per_second = float(stats.get("tokensPerSecond", 0.0))
        result.extra = {
            k: stats[k]
            for k in ("cancelled", "supersededInDebounce", "prefills", "prefillTokens",
                      "prefetches", "accepts", "follows", "followsInterrupted",
                      "followTokens", "followsTaken", "kvStates")
            if k in stats
        }  # fmt: skip
        if pid:
            result.rss_mb_end, result.peak_rss_mb = proc_memory_mb(pid)
        if minutes:
            result.extra["rss_timeline"] = timeline
            result.extra["memory_timeline"] = heap
            result.extra["allocations"] = stats.get("allocations", {})
            later = [mb for t, mb in timeline if t >= 600]  # after 10 minutes of warm-up
            if later:
                result.extra["rss_mb_from_10_min"] = {"min": min(later), "max": max(later)}
    finally:
        sampler.cancel()
        await session.stop()
    return result


async def _track(pending: tuple[int, asyncio.Future[Any], float], result: RunResult) -> None:
    """Record a typed-through request's latency if it was answered (not cancelled)."""
    _id, fut, sent = pending
    try:
        answer = _text_of(await fut)
    except Exception:  # cancelled by the next keystroke: not a sample
        return
    result.samples.append(Sample("typed", (time.monotonic() - sent) * 1000, answer is not None))


async def _stats(session: Any, recent: int = 100000, **more: int) -> dict[str, Any]:
    raw = await session.client.protocol.send_request_async(
        "infilld/stats", {"recent": recent, **more}
    )
    return _plain(raw)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    """pygls hands unknown results over as namedtuples: back to dicts and lists."""
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# -- the peer ------------------------------------------------------------------------------
def run_peer(
    script: list[Visit], root: Path, binary: Path, model: Path, threads: int, n_predict: int,
    seed: int, log: Callable[[str], None], log_file: Path | None,
) -> RunResult:  # fmt: skip
    from infilld.bench.peer import LlamaServer, infill_body

    server = LlamaServer(binary, model, threads=threads, log=log_file)
    result = RunResult(system="llama-server")
    server.start()
    result.rss_mb_after_load = proc_memory_mb(server.pid)[0]
    texts: dict[str, str] = {}
    gen_tokens = 0
    gen_ms = 0.0
    t0 = time.monotonic()

    def ask(text: str, cursor: int) -> str:
        nonlocal gen_tokens, gen_ms
        answer = server.infill(infill_body(text, cursor, n_predict=n_predict))
        result.requests += 1
        result.evaluated_tokens.append(answer.prompt_tokens)
        gen_tokens += answer.generated_tokens
        gen_ms += answer.predicted_ms
        return answer.text

    try:
        for index, visit in enumerate(script):
            coin = _coin(seed, index)
            first = visit.file not in texts
            if first:
                texts[visit.file] = (root / visit.file).read_text(encoding="utf-8")
            text = texts[visit.file]
            start = line_offset(text, visit.line) + visit.indent
            end = text.index("\n", start) if "\n" in text[start:] else len(text)
            text = text[:start] + text[end:]
            cursor, typed = start, 0
            while typed <= len(visit.target):
                if typed in visit.pauses or (typed == 0 and first):
                    sent = time.monotonic()
                    suggestion = ask(text, cursor) or None
                    ms = (time.monotonic() - sent) * 1000
                    kind = "first" if first else "pause"
                    first = False
                    take = accepted_part(suggestion, visit.target[typed:])
                    result.samples.append(Sample(kind, ms, suggestion is not None, bool(take)))
                    log(f"  {kind:6} {ms:7.0f} ms  {visit.target[:typed]!r} -> {suggestion!r}")
                    if take and coin.random() < ACCEPT_PROBABILITY:
                        text = text[:cursor] + take + text[cursor:]
                        cursor += len(take)
                        typed += len(take)
                        sent = time.monotonic()
                        nxt = ask(text, cursor) or None
                        ms = (time.monotonic() - sent) * 1000
                        result.samples.append(Sample("accept", ms, nxt is not None))
                        log(f"  accept {ms:7.0f} ms  took {take!r} -> {nxt!r}")
                if typed >= len(visit.target):
                    break
                # No request while typing: the most favourable pattern for the peer (llama.vscode
                # would also send and abort requests between keystrokes).
                text = text[:cursor] + visit.target[typed] + text[cursor:]
                cursor += 1
                typed += 1
            texts[visit.file] = text
        result.wall_s = time.monotonic() - t0
        result.tokens_per_second = gen_tokens * 1000 / gen_ms if gen_ms else 0.0
        result.rss_mb_end, result.peak_rss_mb = proc_memory_mb(server.pid)
    finally:
        server.stop()
    return result


# -- command line ------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="infilld bench latency", description=__doc__.split("\n")[0])
    p.add_argument(
        "--repo",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        help="folder whose files are edited (copied first; default: infilld's source)",
    )
    p.add_argument(
        "--files",
        default=",".join(DEFAULT_FILES),
        help="comma-separated paths (relative to --repo) the session moves between",
    )
    p.add_argument("--visits", type=int, default=12, help="lines typed back (default 12)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--model", help="model name or GGUF path (default: the settings' model)")
    p.add_argument("--backend", choices=["llama", "fake"], help="infilld backend")
    p.add_argument(
        "--threads", type=int, default=0, help="CPU threads for both (0: physical cores)"
    )
    p.add_argument("--no-context", action="store_true", help="infilld without repository context")
    p.add_argument("--no-near-code", action="store_true", help="infilld with context.nearCode off")
    p.add_argument(
        "--peer-llama-server",
        type=Path,
        metavar="PATH",
        help="llama-server binary: replay the same session against its /infill",
    )
    p.add_argument("--skip-infilld", action="store_true", help="only run the peer")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("bench-latency"),
        help="folder for latency.json and latency.png (default ./bench-latency)",
    )
    p.add_argument("--quiet", action="store_true", help="no per-pause lines")
    p.add_argument("--server-log", type=Path, help="infilld's debug log goes to this file")
    p.add_argument(
        "--read",
        type=float,
        default=0.0,
        metavar="S",
        help="infilld only: seconds the user reads after moving to a line, before typing it"
        " (idle time the server can use; default 0)",
    )
    p.add_argument(
        "--save",
        action="store_true",
        help="infilld only: write each file to disk after each line typed in it, as a save or"
        " an editor's auto-save does (the server sees it through its file watcher)",
    )
    p.add_argument(
        "--minutes",
        type=float,
        default=0.0,
        help="a long session (memory over time): replay fresh scripts (seed, seed+1, ...) of "
        "--visits visits each for this long, sampling the server's RSS every 30 s; infilld only",
    )
    return p  # fmt: skip


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from infilld.backends.llama import physical_cores

    threads = args.threads or physical_cores()
    rels = [f.strip() for f in args.files.split(",") if f.strip()]
    missing = [rel for rel in rels if not (args.repo / rel).is_file()]
    if missing:
        # The default --files are paths of infilld's own package (engine/prompt.py, ...).
        raise InfilldError(
            f"no {', '.join(missing)} under {args.repo}: pass --files with paths relative to "
            "--repo (the defaults are for infilld's own package folder)"
        )
    files = {rel: (args.repo / rel).read_text(encoding="utf-8") for rel in rels}
    script = make_script(files, visits=args.visits, seed=args.seed)
    if args.minutes:
        # Enough scripts for the time (a visit takes 3-15 s); the replay stops when it is up.
        cycles = int(args.minutes * 60 / (3 * max(1, args.visits))) + 1
        for cycle in range(1, cycles):
            script += make_script(files, visits=args.visits, seed=args.seed + cycle)

    def log(line: str) -> None:
        if not args.quiet:
            print(line, flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="infilld-bench-") as tmp:
        root = Path(tmp) / args.repo.name
        shutil.copytree(args.repo, root, ignore=shutil.ignore_patterns("__pycache__", ".git"))
        if not args.skip_infilld:
            server_args = ["serve", "--threads", str(threads)]
            if args.server_log:
                server_args = ["--log-level", "debug", "--log-file", str(args.server_log)]
                server_args += ["serve", "--threads", str(threads)]
            if args.model:
                server_args += ["--model", args.model]
            if args.backend:
                server_args += ["--backend", args.backend]
            settings: dict[str, Any] = {}
            if args.no_context:
                settings = {"context": {"enable": False}}
            elif args.no_near_code:
                settings = {"context": {"nearCode": False}}
            print(f"infilld: {len(script)} visits over {', '.join(rels)}", flush=True)
            results.append(asyncio.run(
                run_infilld(
                    script, root, server_args, settings, args.seed, log, args.minutes, args.read,
                    args.save,
                )
            ))  # fmt: skip
        if args.peer_llama_server and not args.minutes:
            from infilld.config import DEFAULT_MODEL
            from infilld.models.fetch import ensure_model

            model = ensure_model(args.model or DEFAULT_MODEL)
            shutil.rmtree(root)
            shutil.copytree(args.repo, root, ignore=shutil.ignore_patterns("__pycache__", ".git"))
            print(f"llama-server: {len(script)} visits", flush=True)
            results.append(run_peer(
                script, root, args.peer_llama_server, model, threads, 96, args.seed, log,
                args.out / "llama-server.log",
            ))  # fmt: skip
    summaries = [r.summary() for r in results]
    report: dict[str, Any] = {"command": "infilld bench latency " + " ".join(argv),
                              "threads": threads, "results": summaries}  # fmt: skip
    for s in summaries:
        print(json.dumps(s))
    if len(results) == 2 and summaries[1]["p50_ms"] and summaries[1]["p95_ms"]:
        report["ratio_p50"] = round(summaries[0]["p50_ms"] / summaries[1]["p50_ms"], 3)
        report["ratio_p95"] = round(summaries[0]["p95_ms"] / summaries[1]["p95_ms"], 3)
        print(f"infilld / llama-server: p50 {report['ratio_p50']}x  p95 {report['ratio_p95']}x")
    (args.out / "latency.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    histogram_png({r.system: r.pause_ms() for r in results}, args.out / "latency.png")
    print(f"wrote {args.out / 'latency.json'} and {args.out / 'latency.png'}", file=sys.stderr)
    return 0
