"""LSP positions (UTF-16 code units by default) <-> string offsets, line endings, clamping, URIs."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol.types import Position, PositionEncodingKind

from infilld.lsp.convert import line_spans, offset_at, position_at, uri_to_path

EMOJI = "x = '😀'  # ünïcode\ny = 1\n"  # 😀 is U+1F600: 2 UTF-16 units, 4 UTF-8 bytes


def test_ascii_round_trip() -> None:
    text = "abc\ndef\n"
    for offset in range(len(text) + 1):
        assert offset_at(text, position_at(text, offset)) == offset
    assert position_at(text, 5) == Position(line=1, character=1)
    assert offset_at(text, Position(line=1, character=1)) == 5


def test_emoji_counts_two_utf16_units() -> None:
    after_emoji = EMOJI.index("😀") + 1
    assert position_at(EMOJI, after_emoji) == Position(line=0, character=after_emoji + 1)
    assert offset_at(EMOJI, Position(line=0, character=after_emoji + 1)) == after_emoji
    # the column right after the closing quote
    quote = EMOJI.index("'", after_emoji) + 1
    assert offset_at(EMOJI, Position(line=0, character=quote + 1)) == quote


def test_non_bmp_and_accents_round_trip_in_all_encodings() -> None:
    text = "é😀ü\n𝔘nicode 🎉🎉 end\n"
    for enc in (PositionEncodingKind.Utf16, PositionEncodingKind.Utf8, PositionEncodingKind.Utf32):
        for offset in range(len(text) + 1):
            assert offset_at(text, position_at(text, offset, enc), enc) == offset


def test_utf8_and_utf32_units() -> None:
    text = "é😀x"
    assert position_at(text, 2, PositionEncodingKind.Utf8).character == 2 + 4
    assert position_at(text, 2, PositionEncodingKind.Utf32).character == 2
    assert position_at(text, 2, PositionEncodingKind.Utf16).character == 1 + 2


def test_column_inside_a_surrogate_pair_does_not_split_the_character() -> None:
    # character 1 is between the two UTF-16 units of 😀: the offset must not point into it
    assert offset_at("😀x", Position(line=0, character=1)) in (0, 1)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(newline: str) -> None:
    text = newline.join(["one", "two😀", "three"])
    start = text.index("three")
    assert offset_at(text, Position(line=2, character=0)) == start
    assert position_at(text, start) == Position(line=2, character=0)
    # past the end of line 1 clamps before its line ending, never onto the next line
    end_of_two = text.index("two😀") + len("two😀")
    assert offset_at(text, Position(line=1, character=99)) == end_of_two
    assert position_at(text, end_of_two) == Position(line=1, character=5)


def test_crlf_is_one_line_break_not_two() -> None:
    text = "a\r\nb\r\n"
    assert len(line_spans(text)) == 3
    assert offset_at(text, Position(line=1, character=0)) == 3


def test_only_lsp_line_breaks_split_lines() -> None:
    # U+2028 and form feed are line breaks for str.splitlines, not for LSP
    text = "a\u2028b\x0cc\nd"
    assert offset_at(text, Position(line=1, character=0)) == text.index("d")
    assert position_at(text, text.index("c")) == Position(line=0, character=4)


def test_positions_past_the_end_clamp() -> None:
    text = "abc\ndef"
    assert offset_at(text, Position(line=0, character=100)) == 3
    assert offset_at(text, Position(line=7, character=0)) == len(text)
    assert offset_at(text, Position(line=1, character=100)) == len(text)
    assert position_at(text, 10_000) == Position(line=1, character=3)
    assert position_at(text, -5) == Position(line=0, character=0)


def test_empty_document() -> None:
    assert offset_at("", Position(line=0, character=0)) == 0
    assert offset_at("", Position(line=3, character=9)) == 0
    assert position_at("", 0) == Position(line=0, character=0)


def test_trailing_newline_has_an_empty_last_line() -> None:
    text = "a\n"
    assert position_at(text, 2) == Position(line=1, character=0)
    assert offset_at(text, Position(line=1, character=5)) == 2


def test_uri_to_path(tmp_path: Path) -> None:
    f = tmp_path / "dir with space" / "ü.py"
    assert uri_to_path(f.as_uri()) == f
    assert uri_to_path("untitled:Untitled-1") is None
    assert uri_to_path("git:/repo/file.py?ref") is None
