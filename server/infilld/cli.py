"""The `infilld` command line: parses arguments and calls into the package; no logic of its own."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import msgspec

from infilld import __version__
from infilld.config import DEFAULT_MODEL, Settings, load_settings
from infilld.errors import InfilldError


def _setup_logging(level: str, log_file: str | None = None) -> None:
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8")
        if log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("infilld").setLevel(level.upper())


def _base_settings(args: argparse.Namespace) -> Settings:
    raw: dict[str, object] = {}
    model: dict[str, object] = {}
    if getattr(args, "model", None):
        model["name"] = args.model
    if getattr(args, "backend", None):
        model["backend"] = args.backend
    if getattr(args, "threads", None):
        model["threads"] = args.threads
    if model:
        raw["model"] = model
    if getattr(args, "settings", None):
        extra = json.loads(Path(args.settings).read_text(encoding="utf-8"))
        raw = {**extra, **raw}
    settings, problems = load_settings(raw)
    for p in problems:
        logging.getLogger("infilld").warning("%s", p)
    return settings


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model", help=f"registry name or path to a GGUF file (default {DEFAULT_MODEL})"
    )
    p.add_argument("--backend", choices=["llama", "fake"], help="model backend (default llama)")
    p.add_argument("--threads", type=int, help="CPU threads (default: physical cores)")
    p.add_argument("--settings", help="JSON file with settings (the schema of `infilld schema`)")


def cmd_serve(args: argparse.Namespace) -> int:
    from infilld import memory
    from infilld.lsp.server import create_server

    settings = _base_settings(args)
    memory.tune_allocator()  # before the model's buffers exist: see memory.py
    if args.tcp:
        from infilld.lsp.tcp import serve_tcp

        return serve_tcp(settings, args.host, args.port, once=args.once)
    server = create_server(settings)
    # stdout carries JSON-RPC only: give the protocol a private duplicate of fd 1 and point fd 1
    # (and sys.stdout) at stderr, so nothing else (native llama.cpp output included) can corrupt it.
    rpc_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    try:
        server.start_io(sys.stdin.buffer, rpc_out)
    finally:
        server.release()
    return 0


def cmd_complete(args: argparse.Namespace) -> int:
    from infilld.complete_file import complete_file

    settings = _base_settings(args)
    suggestion = complete_file(
        Path(args.file), args.line, args.column, settings,
        workspace=Path(args.workspace) if args.workspace else None,
    )  # fmt: skip
    if suggestion is None:
        print("(no suggestion)", file=sys.stderr)
        return 1
    sys.stdout.write(suggestion.text + "\n")
    print(
        f"[{suggestion.latency_ms:.0f} ms, prompt {suggestion.prompt_tokens} tokens, "
        f"generated {suggestion.generated_tokens}, stop {suggestion.stop_reason}]",
        file=sys.stderr,
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from infilld.demo import run_demo

    return run_demo(model=args.model, backend=args.backend, server_log=args.server_log)


def cmd_models(args: argparse.Namespace) -> int:
    from infilld.models.cli import models_command

    return models_command(args)


def cmd_bench(args: argparse.Namespace) -> int:
    from infilld.bench import run_bench

    return run_bench(args)


def cmd_schema(args: argparse.Namespace) -> int:
    from infilld.config import settings_json_schema, vscode_configuration_properties

    data = vscode_configuration_properties() if args.vscode else settings_json_schema()
    print(json.dumps(data, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="infilld", description=__doc__)
    parser.add_argument("--version", action="version", version=f"infilld {__version__}")
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.add_argument("--log-file", help="write logs to this file instead of stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the language server (stdio by default)")
    _add_model_args(p)
    p.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    p.add_argument("--host", default="127.0.0.1", help="TCP address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    p.add_argument("--once", action="store_true", help="with --tcp: exit after the first client")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("complete", help="print the completion for a position in a file")
    p.add_argument("file")
    p.add_argument("--line", type=int, required=True, help="1-based line")
    p.add_argument("--column", type=int, required=True, help="1-based column (characters)")
    p.add_argument("--workspace", help="workspace folder for repository context")
    _add_model_args(p)
    p.set_defaults(func=cmd_complete)

    p = sub.add_parser("demo", help="play a short editing session over LSP and print suggestions")
    p.add_argument("--model", help="model name or path")
    p.add_argument("--backend", choices=["llama", "fake"])
    p.add_argument("--server-log", help="write the server's log to this file")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("models", help="list, pull and verify models")
    msub = p.add_subparsers(dest="models_command", required=True)
    q = msub.add_parser("list", help="registry models and whether they are present and verified")
    q.add_argument("--json", action="store_true")
    q = msub.add_parser("pull", help="fetch a model into the cache (verified by sha256)")
    q.add_argument("name")
    q.add_argument("--force", action="store_true", help="fetch even if a verified copy exists")
    q = msub.add_parser("verify", help="re-hash a model and compare with the registry")
    q.add_argument("name")
    q = msub.add_parser("path", help="print the path of a model file")
    q.add_argument("name")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("bench", help="benchmarks (`infilld bench quality --help`)")
    p.add_argument("kind", choices=["quality", "fix", "latency"], help="which benchmark")
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="the benchmark's own options")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("schema", help="print the settings JSON Schema")
    p.add_argument("--vscode", action="store_true", help="as VS Code configuration properties")
    p.set_defaults(func=cmd_schema)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.log_level, args.log_file)
    try:
        return int(args.func(args))
    except InfilldError as exc:
        print(f"infilld: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except msgspec.ValidationError as exc:
        print(f"infilld: invalid input: {exc}", file=sys.stderr)
        return 2
