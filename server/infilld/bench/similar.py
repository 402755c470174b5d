"""A second baseline: code like the lines above the cursor, and nothing else.

This is the "similar snippets" retrieval of Continue and Tabby, and the retrieval step of
RepoCoder, over engine/near_code.py's windows: the windows of other files of the current
language family most like the lines before the cursor fill the whole budget, best first. infilld
puts the same windows first and fills the rest with definitions; this mode shows what the
windows alone are worth. The benchmark re-selects it for every task, as it does for infilld's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from infilld.bench.ring import Chunk, snippet_cost
from infilld.engine.near_code import near_windows, query_identifiers
from infilld.index import WorkspaceIndex


def select_similar(
    index: WorkspaceIndex,
    path: Path,
    text: str,
    offset: int,
    budget: int,
    count_tokens: Callable[[str], int],
) -> list[Chunk]:
    """The windows most like the lines before `offset` that fit `budget`, taken best first,
    sorted by (path, line) for the prompt."""
    rel = index.relpath(path)
    if rel is None or budget <= 0:
        return []
    chosen: list[Chunk] = []
    used = 0
    for window in near_windows(index, rel, query_identifiers(text, offset)):
        cost = snippet_cost(window.path, window.text, count_tokens)
        if used + cost <= budget:
            chosen.append(Chunk(path=window.path, start_line=window.start_line, text=window.text))
            used += cost
    return sorted(chosen, key=lambda c: (c.path, c.start_line))


__all__ = ["select_similar"]
