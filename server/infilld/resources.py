"""Where infilld's data files (grammars/, models/registry.toml) are, from a checkout or a wheel."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    """`<data root>/<parts>`: $INFILLD_DATA_DIR, else the source tree's root, else the wheel's _data."""
    env = os.environ.get("INFILLD_DATA_DIR")
    if env:
        return Path(env).joinpath(*parts)
    repo_root = _PACKAGE.parent.parent  # server/infilld -> repo root
    if (repo_root / "models").is_dir() and (repo_root / "grammars").is_dir():
        return repo_root.joinpath(*parts)
    return _PACKAGE.joinpath("_data", *parts)
