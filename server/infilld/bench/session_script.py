"""The editing session the latency benchmark replays, and the arithmetic of its report.

A session is a deterministic (seeded) list of visits to lines of real files: the rest of a code line
is deleted and typed back one character at a time at a human rhythm (log-normal gaps around 130 ms),
with pauses at word boundaries where the editor waits for a suggestion. Visits move between a few
files so that returning to a file is part of the measurement. The same script drives infilld and the
reference peer, so their figures compare the same work.
"""

from __future__ import annotations

import math
import random
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import msgspec

# Characters after which a typist plausibly stops to look at a suggestion.
_BOUNDARY = set(" (.,=[:{")


class Visit(msgspec.Struct, frozen=True):
    """Type `target` (the rest of line `line` after its indentation) back into `file`."""

    file: str  # path relative to the workspace
    line: int  # 0-based line index
    indent: int  # characters of indentation kept on the line
    target: str  # the text typed back
    pauses: tuple[int, ...]  # characters of `target` typed before each pause (ascending)
    gaps: tuple[float, ...]  # seconds before each keystroke
    think: float  # seconds the user looks at a suggestion after it arrives


def _candidate_lines(text: str) -> list[int]:
    """Lines worth completing: code (not comments or docstrings), 20-90 characters, indented."""
    out = []
    in_doc = False
    for i, line in enumerate(text.split("\n")):
        s = line.strip()
        if s.count('"""') == 1 or s.count("'''") == 1:
            in_doc = not in_doc
            continue
        if in_doc or i < 8 or not line.startswith((" ", "\t")):
            continue
        if s.startswith(("#", '"', "'", "//", "@")) or not 20 <= len(s) <= 90:
            continue
        out.append(i)
    return out


def make_script(
    files: dict[str, str], *, visits: int = 12, seed: int = 7, max_pauses: int = 3
) -> list[Visit]:
    """`visits` visits over `files` (relative path -> text), moving between files as a developer
    does: mostly staying, sometimes switching, often coming back to the previous file."""
    rng = random.Random(seed)
    names = sorted(n for n, t in files.items() if _candidate_lines(t))
    if not names:
        raise ValueError("no file has lines to complete (indented code lines of 20-90 chars)")
    used: set[tuple[str, int]] = set()
    script: list[Visit] = []
    current = names[0]
    previous = names[-1]
    for _ in range(visits):
        roll = rng.random()
        if roll < 0.35 and len(names) > 1:
            current, previous = previous, current  # back to the previous file
        elif roll < 0.55 and len(names) > 2:
            others = [n for n in names if n not in (current, previous)]
            current, previous = rng.choice(others), current
        lines = [i for i in _candidate_lines(files[current]) if (current, i) not in used]
        if not lines:
            continue
        line_no = rng.choice(lines)
        used.add((current, line_no))
        line = files[current].split("\n")[line_no]
        indent = len(line) - len(line.lstrip(" \t"))
        target = line[indent:]
        stops = [i for i in range(2, len(target) - 2) if target[i - 1] in _BOUNDARY]
        pauses = sorted(rng.sample(stops, min(max_pauses, len(stops)))) if stops else [0]
        gaps = tuple(min(0.5, max(0.04, rng.lognormvariate(math.log(0.13), 0.35))) for _ in target)
        script.append(
            Visit(
                file=current, line=line_no, indent=indent, target=target,
                pauses=tuple(pauses), gaps=gaps, think=rng.uniform(0.3, 0.8),
            )
        )  # fmt: skip
    return script


def line_offset(text: str, line: int) -> int:
    """Offset of the start of 0-based `line` in `text`."""
    at = 0
    for _ in range(line):
        at = text.index("\n", at) + 1
    return at


def accepted_part(suggestion: str | None, remaining: str) -> str:
    """What a user accepts of `suggestion`: its first line, when it is exactly how the line goes on
    (a suggestion that is wrong anywhere is not taken)."""
    if not suggestion:
        return ""
    first = suggestion.split("\n", 1)[0]
    return first if first and remaining.startswith(first) else ""


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# -- a PNG chart without matplotlib -----------------------------------------------------------
# 3x5 pixel glyphs for axis labels.
_GLYPHS = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111",
    "3": "111001111001111", "4": "101101111001001", "5": "111100111001111",
    "6": "111100111101111", "7": "111001001001001", "8": "111101111101111",
    "9": "111101111001111", ".": "000000000000010", "s": "000011110011110",
    " ": "000000000000000", "p": "000111101111100", "i": "010000010010010",
    "n": "000110101101101", "f": "011100110100100", "l": "110010010010111",
    "d": "001001111101111", "e": "000111111100111", "r": "000111100100100",
    "a": "000011101101011", "m": "000110111101101", "v": "000101101101010",
    "-": "000000111000000",
}  # fmt: skip
Color = tuple[int, int, int]


class Canvas:
    """An RGB raster written out as a PNG with zlib and struct."""

    def __init__(self, width: int, height: int, bg: Color = (255, 255, 255)) -> None:
        self.w, self.h = width, height
        self.px = [bytearray(bytes(bg) * width) for _ in range(height)]

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        for y in range(max(0, min(y0, y1)), min(self.h, max(y0, y1))):
            row = self.px[y]
            for x in range(max(0, min(x0, x1)), min(self.w, max(x0, x1))):
                row[3 * x : 3 * x + 3] = bytes(color)

    def text(self, x: int, y: int, s: str, color: Color = (0, 0, 0), scale: int = 2) -> None:
        for ch in s:
            glyph = _GLYPHS.get(ch, _GLYPHS[" "])
            for i, bit in enumerate(glyph):
                if bit == "1":
                    gx, gy = x + (i % 3) * scale, y + (i // 3) * scale
                    self.rect(gx, gy, gx + scale, gy + scale, color)
            x += 4 * scale

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.px)

        def chunk(tag: bytes, data: bytes) -> bytes:
            body = tag + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


SERIES_COLORS: tuple[Color, ...] = ((31, 119, 180), (255, 127, 14), (44, 160, 44))


def histogram_png(series: dict[str, Sequence[float]], path: Path, bins: int = 24) -> None:
    """Latency histograms (milliseconds) of each series side by side per bin, x axis in seconds,
    with a legend; one colour per series in the order given."""
    values = [v for vs in series.values() for v in vs]
    top = max(percentile(values, 99), 1.0) if values else 1.0
    width, height, left, bottom, pad = 760, 360, 50, 40, 32
    c = Canvas(width, height)
    plot_w, plot_h = width - left - pad, height - bottom - pad
    counts = {
        name: [sum(1 for v in vs if b * top / bins <= min(v, top * 0.999) < (b + 1) * top / bins)
               for b in range(bins)]
        for name, vs in series.items()
    }  # fmt: skip
    peak = max((max(cs) for cs in counts.values() if cs), default=1) or 1
    bar_w = plot_w // bins
    n = max(1, len(series))
    for k, (_name, cs) in enumerate(counts.items()):
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        for b, count in enumerate(cs):
            x0 = left + b * bar_w + 1 + k * (bar_w - 2) // n
            x1 = x0 + max(1, (bar_w - 2) // n)
            y1 = height - bottom
            c.rect(x0, y1 - int(plot_h * count / peak), x1, y1, color)
    c.rect(left, height - bottom, width - pad, height - bottom + 1, (0, 0, 0))
    c.rect(left - 1, pad, left, height - bottom, (0, 0, 0))
    for t in range(5):
        x = left + t * plot_w // 4
        c.rect(x, height - bottom, x + 1, height - bottom + 5, (0, 0, 0))
        c.text(x - 8, height - bottom + 10, f"{top * t / 4 / 1000:.1f}s")
    for k, name in enumerate(series):
        color = SERIES_COLORS[k % len(SERIES_COLORS)]
        y = pad + 4 + 16 * k
        c.rect(width - 200, y, width - 188, y + 10, color)
        c.text(width - 182, y, "".join(ch if ch in _GLYPHS else " " for ch in name.lower()))
    path.write_bytes(c.png())
