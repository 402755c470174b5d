"""The baseline context: a llama.vscode-like ring of 64-line chunks from recently opened files.

llama.vim / llama.vscode keep up to 16 chunks of 64 lines, picked around the cursor of buffers the
user entered, saved or yanked from, and send them ahead of the current file; the server keeps as
much of the newest end as fits. A benchmark has no editor session, so it simulates one: the
"recently opened" files are the current file's directory siblings plus the files most recently
modified on disk (sdists stamp every file alike, so a seeded order breaks the ties), and each
file contributes one chunk at a seeded position. Chunks are taken newest first until the token
budget is spent (the last one cut to whole lines that fit), then emitted oldest first, so the
newest chunk sits next to the current file, as in llama.vscode's prompt.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from infilld.index import WorkspaceIndex

CHUNK_LINES = 64
RING_FILES = 16


class Chunk(msgspec.Struct, frozen=True):
    """Lines of another file (path relative to the repository root)."""

    path: str
    start_line: int
    text: str


def snippet_cost(path: str, text: str, count_tokens: Callable[[str], int]) -> int:
    """Tokens a snippet takes in the repository-level prompt: `<|file_sep|>` + path + text.

    The same measure select_context budgets with, so both modes spend the same budget."""
    return 1 + count_tokens(f"{path}\n{text}\n")


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def recent_files(
    index: WorkspaceIndex, current: str, *, seed: int, limit: int = RING_FILES
) -> list[str]:
    """The files an editor session would have touched before `current`, most recent first."""
    rng = random.Random(f"ring-files:{seed}:{current}")
    others = [r for p in index.files() if (r := index.relpath(p)) is not None and r != current]
    directory = current.rpartition("/")[0]
    siblings = [r for r in others if r.rpartition("/")[0] == directory]
    rng.shuffle(siblings)
    shuffled = list(others)
    rng.shuffle(shuffled)  # a seeded tie-break: sorted() below is stable
    by_mtime = sorted(shuffled, key=lambda r: -_mtime_ns(index.abspath(r)))
    chosen: list[str] = []
    for rel in [*siblings[: limit // 2], *by_mtime]:
        if rel not in chosen:
            chosen.append(rel)
        if len(chosen) >= limit:
            break
    return chosen


def pick_chunks(
    index: WorkspaceIndex, current: str, files: Sequence[str], *, seed: int
) -> list[Chunk]:
    """One chunk per file, at a seeded position (where the simulated cursor was), same order."""
    chunks: list[Chunk] = []
    for rel in files:
        text = index.read_text(index.abspath(rel))
        if not text or not text.strip():
            continue
        lines = text.splitlines()
        rng = random.Random(f"ring-chunk:{seed}:{current}:{rel}")
        start = rng.randrange(0, max(1, len(lines) - CHUNK_LINES + 1))
        body = "\n".join(lines[start : start + CHUNK_LINES]).rstrip()
        if body.strip():
            chunks.append(Chunk(rel, start, body))
    return chunks


def fill_ring(
    chunks: Sequence[Chunk], budget_tokens: int, count_tokens: Callable[[str], int]
) -> list[Chunk]:
    """The newest chunks (first in `chunks`) that fit `budget_tokens`, emitted oldest first."""
    taken: list[Chunk] = []
    left = budget_tokens
    for chunk in chunks:
        cost = snippet_cost(chunk.path, chunk.text, count_tokens)
        if cost <= left:
            taken.append(chunk)
            left -= cost
            continue
        # Keep the leading lines that fit (binary search over the line count), then stop.
        lines = chunk.text.split("\n")
        lo, hi = 0, len(lines)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if snippet_cost(chunk.path, "\n".join(lines[:mid]), count_tokens) <= left:
                lo = mid
            else:
                hi = mid - 1
        if lo > 0:
            taken.append(Chunk(chunk.path, chunk.start_line, "\n".join(lines[:lo])))
        break
    taken.reverse()
    return taken


__all__ = ["CHUNK_LINES", "Chunk", "fill_ring", "pick_chunks", "recent_files", "snippet_cost"]
