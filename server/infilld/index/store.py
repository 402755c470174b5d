"""Persist the index between runs (msgspec MessagePack, atomic replace).

A cache is a hint, never the truth: one that fails to decode, has another schema version, was
written for another root, or for other grammar queries is ignored and the index is rebuilt.
Per-file fingerprints then decide which cached entries are still current.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path

import msgspec

from infilld.index.model import CacheFile, FileEntry

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5  # 2: clipped docstrings and block comments stay closed; 3: Python fields;
# 4: C# global usings; 5: tsconfig/jsconfig path aliases, package.json names, Rust crates

_decoder = msgspec.msgpack.Decoder(CacheFile)
_encoder = msgspec.msgpack.Encoder()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "infilld" / "index"


def cache_path(cache_dir: Path, root: Path) -> Path:
    digest = hashlib.sha256(str(root).encode("utf-8", errors="replace")).hexdigest()[:32]
    return cache_dir / f"{digest}.msgpack"


def load(path: Path, root: Path, grammars: str) -> dict[str, FileEntry] | None:
    """The cached entries by relative path, or None when there is no usable cache."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read index cache %s: %s", path, exc)
        return None
    try:
        cache = _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.warning("ignoring corrupt index cache %s: %s", path, exc)
        return None
    if cache.version != SCHEMA_VERSION or cache.root != str(root) or cache.grammars != grammars:
        log.info("ignoring index cache %s: written for another version/root/grammars", path)
        return None
    return {entry.path: entry for entry in cache.files}


def save(path: Path, root: Path, grammars: str, entries: list[FileEntry]) -> None:
    """Write the cache atomically: readers see the old file or the new one, never half of one."""
    cache = CacheFile(version=SCHEMA_VERSION, root=str(root), grammars=grammars, files=entries)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(_encoder.encode(cache))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        log.warning("cannot write index cache %s: %s", path, exc)
