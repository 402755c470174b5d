"""A second baseline: code like the lines above the cursor, retrieved from the whole repository.

This is the "similar snippets" retrieval of Continue and Tabby, and the retrieval step of
RepoCoder: every file of the current file's language family is cut into windows of
WINDOW_LINES lines every STEP_LINES lines; the query is the identifiers of the QUERY_LINES lines
before the cursor (the cursor's line up to the cursor included); windows are ranked by Jaccard
similarity of identifier sets and taken best first, skipping a window that overlaps one already
taken from its file, until the token budget is spent. The block depends on the cursor, so an
editor using it re-evaluates the prompt after the block whenever it changes; the benchmark
re-selects it for every task, as it does for infilld's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from infilld.bench.ring import Chunk, snippet_cost
from infilld.engine.context import language_family
from infilld.index import WorkspaceIndex

QUERY_LINES = 10
WINDOW_LINES = 20
STEP_LINES = 10
MAX_FILE_BYTES = 200_000
MAX_CANDIDATES = 40  # the best windows considered; the rest are too unlike to be worth tokens
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


class SimilarCode:
    """The windows of one repository, cut once, and the retrieval over them."""

    def __init__(self, index: WorkspaceIndex) -> None:
        self.index = index
        self._windows: dict[str, list[tuple[str, int, str, frozenset[str]]]] = {}

    def windows(self, family: str) -> list[tuple[str, int, str, frozenset[str]]]:
        """(path, first line, text, identifiers) of every window of the family's files."""
        if family not in self._windows:
            out: list[tuple[str, int, str, frozenset[str]]] = []
            for path in self.index.files():
                rel = self.index.relpath(path)
                if rel is None or language_family(rel) != family:
                    continue
                text = self.index.read_text(path)
                if text is None or len(text) > MAX_FILE_BYTES:
                    continue
                lines = text.splitlines()
                for start in range(0, max(1, len(lines) - STEP_LINES), STEP_LINES):
                    body = "\n".join(lines[start : start + WINDOW_LINES])
                    ids = frozenset(_IDENTIFIER.findall(body))
                    if ids:
                        out.append((rel, start, body, ids))
            self._windows[family] = out
        return self._windows[family]

    def select(
        self, path: Path, text: str, offset: int, budget: int, count_tokens: Callable[[str], int]
    ) -> list[Chunk]:
        """The windows most like the lines before `offset`, best first, within `budget`, sorted
        by (path, line) for the prompt."""
        rel = self.index.relpath(path)
        family = language_family(rel or path.name)
        if rel is None or not family or budget <= 0:
            return []
        query = set(_IDENTIFIER.findall("\n".join(text[:offset].splitlines()[-QUERY_LINES:])))
        if not query:
            return []
        scored = sorted(
            (
                (len(query & ids) / len(query | ids), wrel, start, body)
                for wrel, start, body, ids in self.windows(family)
                if wrel != rel
            ),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        chosen: list[Chunk] = []
        used = 0
        for similarity, wrel, start, body in scored[:MAX_CANDIDATES]:
            if similarity <= 0:
                break
            if any(c.path == wrel and abs(c.start_line - start) < WINDOW_LINES for c in chosen):
                continue  # overlaps a window already taken
            cost = snippet_cost(wrel, body, count_tokens)
            if used + cost > budget:
                continue
            chosen.append(Chunk(path=wrel, start_line=start, text=body))
            used += cost
        return sorted(chosen, key=lambda c: (c.path, c.start_line))


__all__ = ["SimilarCode"]
