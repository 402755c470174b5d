"""Token healing's choice of first tokens (backends/healing.py), on a toy vocabulary."""

from __future__ import annotations

from infilld.backends.healing import TokenHealer, is_indentation

VOCAB = {
    1: b" ",
    2: b"  ",
    3: b"    ",
    4: b" Voice",
    5: b" if",
    6: b"  x",
    7: b"\t",
    8: b"\tif",
    9: b"lin",
    10: b"line",
    11: b"li",
    12: b"line_discount",
    13: b" \n",
    14: b"",
}


def healer() -> TokenHealer:
    return TokenHealer(VOCAB.items())


def test_a_fragment_is_spelled_by_its_prefixes_or_by_tokens_that_go_on_from_it() -> None:
    assert sorted(healer().allowed(b"lin")) == [9, 10, 11, 12]
    assert sorted(healer().allowed(b"  ")) == [1, 2, 3, 6]


def test_the_last_blank_of_indentation_must_go_on_with_code() -> None:
    # The blank alone (before a digit) or a blank and then code; not `  x` (one blank too many).
    assert sorted(healer().allowed(b" ", code_next=True)) == [1, 4, 5, 13]
    assert sorted(healer().allowed(b"\t", code_next=True)) == [7, 8]
    # After the lone blank, no token that starts with another blank.
    assert healer().blank_starts().tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 13]


def test_no_token_fits_gives_an_empty_list() -> None:
    assert healer().allowed(b"z").tolist() == []
    assert healer().allowed(b"l", code_next=True).tolist() == [9, 10, 11, 12]
    assert TokenHealer([(1, b"  ")]).allowed(b" ", code_next=True).tolist() == []


def test_indentation_is_only_blanks() -> None:
    assert is_indentation(b"    ") and is_indentation(b"\t ")
    assert not is_indentation(b"") and not is_indentation(b"  x") and not is_indentation(b"\n  ")


def test_a_fragment_is_scanned_once() -> None:
    h = healer()
    assert h.allowed(b" ", code_next=True) is h.allowed(b" ", code_next=True)
    assert h.allowed(b" ") is not h.allowed(b" ", code_next=True)
