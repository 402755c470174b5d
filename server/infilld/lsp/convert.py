"""LSP positions (UTF-16 code units by default) <-> indexes into Python strings, and URIs <-> paths.

pygls's own helpers split lines with `str.splitlines`, which also breaks on characters LSP does not
treat as line ends (U+2028, form feed, ...), and clamp a past-the-end column to one before the end;
these follow the LSP definition: lines end at \\n, \\r\\n or \\r, and out-of-range positions clamp to
the end of the line or document.
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

_LINE_END = re.compile(r"\r\n|\r|\n")


def _units(ch: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(ch.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return 1
    return 2 if ord(ch) > 0xFFFF else 1


def line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line's content, without its line ending."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _LINE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def offset_at(text: str, position: types.Position, encoding: str = "utf-16") -> int:
    """Index into `text` for an LSP position; positions past a line's or the file's end clamp."""
    spans = line_spans(text)
    if position.line >= len(spans):
        return len(text)
    start, end = spans[max(0, position.line)]
    units = 0
    i = start
    while i < end and units < position.character:
        units += _units(text[i], encoding)
        i += 1
    return i


def position_at(text: str, offset: int, encoding: str = "utf-16") -> types.Position:
    offset = max(0, min(offset, len(text)))
    spans = line_spans(text)
    for line, (start, end) in enumerate(spans):
        if offset <= end or line == len(spans) - 1:
            col = sum(_units(c, encoding) for c in text[start : min(offset, end)])
            return types.Position(line=line, character=col)
    raise AssertionError("unreachable")  # pragma: no cover


def uri_to_path(uri: str) -> Path | None:
    """A file:// URI as a path, or None for other schemes (untitled:, git:, ...)."""
    if not uri.startswith("file:"):
        return None
    fs = to_fs_path(uri)
    return Path(fs) if fs else None
