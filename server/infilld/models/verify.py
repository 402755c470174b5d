"""Checking that a model file is what it claims to be, cheaply when it was checked before.

A full sha256 of a 0.5-1 GB file takes seconds, so a successful check leaves a stamp beside the
file (size, mtime, digest); later checks trust the stamp only while size and mtime still match.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import msgspec

from infilld.errors import ModelCorruptError, ModelMissingError
from infilld.models.registry import ModelEntry

GGUF_MAGIC = b"GGUF"


class Stamp(msgspec.Struct):
    size: int
    mtime_ns: int
    sha256: str


def stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(8 << 20):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


def check_gguf_header(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelMissingError(f"cannot read model file {path}: {exc.strerror}") from exc
    if magic != GGUF_MAGIC:
        raise ModelCorruptError(f"{path} is not a GGUF model file (bad header {magic!r})")


def read_stamp(path: Path) -> Stamp | None:
    try:
        stamp = msgspec.json.decode(stamp_path(path).read_bytes(), type=Stamp)
        st = path.stat()
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    if stamp.size != st.st_size or stamp.mtime_ns != st.st_mtime_ns:
        return None
    return stamp


def write_stamp(path: Path, digest: str) -> None:
    st = path.stat()
    tmp = stamp_path(path).with_suffix(".tmp")
    tmp.write_bytes(msgspec.json.encode(Stamp(st.st_size, st.st_mtime_ns, digest)))
    os.replace(tmp, stamp_path(path))


def verify_model(path: Path, entry: ModelEntry | None, *, full: bool = False) -> str:
    """Raise a clear error unless `path` is a complete, uncorrupted copy of `entry`.

    Returns the sha256 (from a valid stamp, or computed). For a file outside the registry
    (`entry` None) only the GGUF header is checked and "" is returned.
    """
    if not path.is_file():
        raise ModelMissingError(f"model file {path} does not exist")
    check_gguf_header(path)
    if entry is None:
        return ""
    size = path.stat().st_size
    if entry.size and size != entry.size:
        raise ModelCorruptError(
            f"{path} has {size:,} bytes, expected {entry.size:,} (truncated or corrupt); "
            f"delete it and run `infilld models pull {entry.name}`"
        )
    stamp = None if full else read_stamp(path)
    digest = stamp.sha256 if stamp else sha256_file(path)
    if entry.sha256 and digest != entry.sha256:
        raise ModelCorruptError(
            f"{path} has sha256 {digest}, expected {entry.sha256} (corrupt); "
            f"delete it and run `infilld models pull {entry.name}`"
        )
    if stamp is None:
        write_stamp(path, digest)
    return digest
