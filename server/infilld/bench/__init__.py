"""`infilld bench KIND ARGS`: benchmark harnesses, each imported only when it runs.

Each kind is a module with `main(argv) -> int` that parses its own arguments, so `infilld --help`
stays fast and a harness's heavy imports (the model, the index) cost nothing elsewhere.
"""

from __future__ import annotations

import argparse
import importlib

# kind -> module implementing it
KINDS = {
    "quality": "infilld.bench.quality",
    "latency": "infilld.bench.latency",
    "fix": "infilld.bench.fix",
}


def run_bench(args: argparse.Namespace) -> int:
    """Dispatch `args.kind` with the rest of the command line (`args.bench_args`)."""
    module = importlib.import_module(KINDS[args.kind])
    return int(module.main(list(args.bench_args)))
