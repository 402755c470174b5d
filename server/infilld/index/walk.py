"""Find the files worth indexing under a workspace root.

Skips what git ignores, vendored and build folders, files in languages we have no table row for,
and (when read) binary, minified/generated and huge files. Never leaves the root through a
symlink and visits each real directory once, so symlink loops end.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from infilld.index.ignore import IgnoreRules
from infilld.index.manifests import MANIFEST_KINDS

log = logging.getLogger(__name__)

# Folders that hold other people's code or build output: indexing them costs time and pollutes
# the context with code the user does not edit.
VENDORED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "bower_components",
        "vendor",
        "third_party",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".eggs",
        "dist",
        "build",
        "target",
        "out",
        ".next",
        ".nuxt",
        ".gradle",
        ".idea",
        ".vscode",
        ".cache",
        "coverage",
    }
)
# Non-source files the resolver needs to read (Go module paths, Rust crate names, TS/JS path
# aliases and workspace packages).
MANIFEST_NAMES = frozenset(MANIFEST_KINDS)
# A line this long is not hand-written: minified bundles, generated tables, embedded data.
MAX_LINE_CHARS = 1000


@dataclass(frozen=True)
class FoundFile:
    path: Path  # as reached inside the root (symlinked directories keep their in-root name)
    rel: str
    size: int
    mtime_ns: int


def is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def walk(
    root: Path,
    ignore: IgnoreRules,
    wanted: Callable[[str], bool],
    *,
    max_file_bytes: int,
) -> Iterator[FoundFile]:
    """Yield candidate files in a stable (sorted) order; content checks are the caller's job."""
    real_root = Path(os.path.realpath(root))
    seen_dirs: set[tuple[int, int]] = set()
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        directory, rel_dir = stack.pop()
        try:
            st = os.stat(directory)
        except OSError:
            continue  # vanished or unreadable
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            continue  # a symlink loop or a second link to the same folder
        seen_dirs.add(key)
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            log.debug("cannot list %s: %s", directory, exc)
            continue
        subdirs: list[tuple[Path, str]] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_link = entry.is_symlink()
                if is_link:
                    target = Path(os.path.realpath(entry.path))
                    if not is_within(target, real_root):
                        continue  # never leave the workspace through a link
                st_entry = os.stat(entry.path)  # follows the (in-root) link
            except OSError:
                continue  # dangling link, vanished file, permission denied
            if stat.S_ISDIR(st_entry.st_mode):
                if entry.name in VENDORED_DIRS or ignore.matches(rel, is_dir=True):
                    continue
                subdirs.append((Path(entry.path), rel))
            elif stat.S_ISREG(st_entry.st_mode):
                if not wanted(entry.name) or ignore.matches(rel, is_dir=False):
                    continue
                if st_entry.st_size > max_file_bytes:
                    log.debug("skipping %s: %d bytes", rel, st_entry.st_size)
                    continue
                yield FoundFile(Path(entry.path), rel, st_entry.st_size, st_entry.st_mtime_ns)
        # Reverse so the stack pops directories in name order: a stable order across runs.
        stack.extend(reversed(subdirs))


def sniff_skip_reason(data: bytes) -> str | None:
    """Why the content should not be indexed (binary, minified/generated), or None."""
    if b"\x00" in data[:8192]:
        return "binary"
    start = 0
    n = len(data)
    while start < n:
        end = data.find(b"\n", start)
        if end < 0:
            end = n
        if end - start > MAX_LINE_CHARS:
            return "minified or generated (very long lines)"
        start = end + 1
    return None


def decode(data: bytes) -> str:
    """Source text; invalid UTF-8 becomes U+FFFD instead of failing the file."""
    text = data.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text
