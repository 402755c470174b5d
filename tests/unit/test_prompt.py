"""Prompt layout: Qwen FIM structure, and anchors/windows that keep consecutive prompts' prefixes equal."""

from __future__ import annotations

from infilld.backends.base import Special
from infilld.backends.kvstate import common_prefix
from infilld.engine.prompt import (
    ANCHOR_MAX_LINES,
    FILE_SEP,
    FIM_MIDDLE,
    FIM_PREFIX,
    FIM_SUFFIX,
    REPO_NAME,
    WINDOW_STEP_LINES,
    Anchor,
    Snippet,
    choose_anchor,
    cut_fim_window,
    layout_chat_prompt,
    layout_fim_prompt,
    prompt_text,
)

WIDE = {"prefix_lines": 1000, "suffix_lines": 1000, "prefix_chars": 10**6, "suffix_chars": 10**6}

SOURCE = "import os\n\n\ndef f(x):\n    y = x + 1\n    return y\n\n\nprint(f(2))\n"


def window(text: str, offset: int, previous: Anchor | None = None, **caps: int):  # type: ignore[no-untyped-def]
    anchor = choose_anchor(text, offset, previous)
    return cut_fim_window(text, offset, anchor, **{**WIDE, **caps})


def flatten(pieces: list[object]) -> list[object]:
    """Text pieces split into characters, so 'shares a prefix' is checked at character level."""
    out: list[object] = []
    for p in pieces:
        out.extend(p if isinstance(p, str) else [p])
    return out


def test_file_level_fim_layout() -> None:
    offset = SOURCE.index("    return") + 4
    w = window(SOURCE, offset)
    pieces = layout_fim_prompt(w)
    assert pieces[0] == FIM_PREFIX
    assert [p for p in pieces if isinstance(p, Special)] == [FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE]
    # prefix (up to the anchor), suffix (after the cursor), then the middle (anchor -> cursor)
    assert pieces[1] == SOURCE[: SOURCE.index("    return")]
    assert pieces[3] == SOURCE[offset:]
    assert pieces[5] == "    "
    assert (
        prompt_text(pieces)
        == f"<|fim_prefix|>{pieces[1]}<|fim_suffix|>{pieces[3]}<|fim_middle|>    "
    )


def test_repo_level_layout_puts_context_first() -> None:
    w = window(SOURCE, 10)
    snippets = [Snippet("pkg/a.py", "A = 1\n\n"), Snippet("pkg/b.py", "B = 2")]
    pieces = layout_fim_prompt(w, path="pkg/main.py", repo_name="proj", snippets=snippets)
    text = prompt_text(pieces)
    assert text.startswith(
        "<|repo_name|>proj\n<|file_sep|>pkg/a.py\nA = 1\n<|file_sep|>pkg/b.py\nB = 2\n"
        "<|file_sep|>pkg/main.py\n<|fim_prefix|>"
    )
    assert pieces[0] == REPO_NAME
    assert pieces.count(FILE_SEP) == 3
    # without snippets: file level, no repo header at all
    assert REPO_NAME not in layout_fim_prompt(w, path="pkg/main.py", repo_name="proj")


def test_window_pieces_reassemble_the_document() -> None:
    for offset in range(len(SOURCE) + 1):
        w = window(SOURCE, offset)
        assert w.before + w.after_anchor + w.suffix == SOURCE
        assert w.before + w.after_anchor == SOURCE[:offset]


def test_anchor_is_the_start_of_the_cursor_line() -> None:
    offset = SOURCE.index("y = x") + 3
    a = choose_anchor(SOURCE, offset, None)
    assert a.offset == SOURCE.index("    y = x")


def test_typing_on_a_line_only_appends_to_the_prompt() -> None:
    text = "def f(x):\n    \n\nprint(1)\n"
    cursor = text.index("    \n") + 4
    typed = "return x * 2"
    anchor = None
    previous: list[object] | None = None
    for ch in typed:
        text = text[:cursor] + ch + text[cursor:]
        cursor += 1
        anchor = choose_anchor(text, cursor, anchor)
        w = cut_fim_window(text, cursor, anchor, **WIDE)
        prompt = flatten(layout_fim_prompt(w))
        if previous is not None:
            assert prompt[: len(previous)] == previous  # strictly appended
            assert prompt[len(previous) :] == [ch]
        previous = prompt


def test_anchor_survives_enter_and_new_lines_below() -> None:
    text = "class A:\n    \n\nx = 1\n"
    cursor = text.index("    \n") + 4
    first = choose_anchor(text, cursor, None)
    for ch in "def g(self):\n        return 1\n    ":
        text = text[:cursor] + ch + text[cursor:]
        cursor += 1
        anchor = choose_anchor(text, cursor, first)
        assert anchor == first
    w = cut_fim_window(text, cursor, first, **WIDE)
    assert w.after_anchor == "    def g(self):\n        return 1\n    "


def test_anchor_moves_when_text_above_it_changes() -> None:
    offset = SOURCE.index("    return") + 4
    a = choose_anchor(SOURCE, offset, None)
    edited = "import sys\n" + SOURCE
    b = choose_anchor(edited, offset + len("import sys\n"), a)
    assert b != a
    assert b.offset == edited.index("    return")


def test_anchor_moves_when_cursor_goes_above_it_or_far_below() -> None:
    text = "".join(f"line{i}\n" for i in range(40))
    a = choose_anchor(text, text.index("line10"), None)
    above = choose_anchor(text, text.index("line5"), a)
    assert above.offset == text.index("line5")
    near = choose_anchor(text, text.index(f"line{10 + ANCHOR_MAX_LINES}"), a)
    assert near == a
    far = choose_anchor(text, text.index(f"line{10 + ANCHOR_MAX_LINES + 1}"), a)
    assert far.offset == text.index(f"line{10 + ANCHOR_MAX_LINES + 1}")


def test_prefix_window_is_measured_from_the_anchor_in_whole_lines() -> None:
    text = "".join(f"l{i}\n" for i in range(100))
    cursor = text.index("l70") + 1
    w = window(text, cursor, prefix_lines=3)
    # 67 lines back, rounded down to a multiple of WINDOW_STEP_LINES
    assert w.before.startswith(f"l{67 - 67 % WINDOW_STEP_LINES}\n")
    assert w.before.endswith("l69\n")
    # the window start does not move while the anchor moves within the step
    for line in range(66, 66 + WINDOW_STEP_LINES):
        lw = window(text, text.index(f"l{line}\n"), prefix_lines=3)
        first = int(lw.before.split("\n", 1)[0][1:]) if lw.before else line
        assert first == (line - 3) - (line - 3) % WINDOW_STEP_LINES
    text = "".join(f"l{i}\n" for i in range(10))
    cursor = text.index("l7") + 1
    # a char cap cuts at a line start, never mid-line
    w = window(text, cursor, prefix_chars=7)
    assert w.before == "l5\nl6\n"
    assert w.after_anchor == "l"


def test_suffix_window_in_whole_lines_and_chars() -> None:
    text = "".join(f"l{i}\n" for i in range(10))
    cursor = text.index("l2") + 1
    w = window(text, cursor, suffix_lines=2)
    assert w.suffix == "2\nl3\nl4\n"
    w = window(text, cursor, suffix_lines=0)
    assert w.suffix == "2\n"
    w = window(text, cursor, suffix_chars=7)
    assert w.suffix == "2\nl3\n"  # cut back to the last line end within the cap


def test_suffix_window_does_not_move_while_typing() -> None:
    text = "".join(f"l{i}\n" for i in range(200))
    cursor = text.index("l50\n")
    anchor = None
    suffixes = set()
    befores = set()
    for ch in "abcdef":
        text = text[:cursor] + ch + text[cursor:]
        cursor += 1
        anchor = choose_anchor(text, cursor, anchor)
        w = cut_fim_window(
            text, cursor, anchor, prefix_lines=20, suffix_lines=5, prefix_chars=60, suffix_chars=30
        )
        suffixes.add(w.suffix)
        befores.add(w.before)
    assert len(suffixes) == 1 and len(befores) == 1


def test_consecutive_prompts_share_most_of_their_prefix_after_moving_a_line_down() -> None:
    text = "".join(f"value_{i} = {i}\n" for i in range(30))
    a = choose_anchor(text, text.index("value_20"), None)
    p1 = flatten(layout_fim_prompt(cut_fim_window(text, text.index("value_20"), a, **WIDE)))
    cursor = text.index("value_21")
    b = choose_anchor(text, cursor, a)
    p2 = flatten(layout_fim_prompt(cut_fim_window(text, cursor, b, **WIDE)))
    # same anchor, so the whole prefix section (the bulk of the prompt) stays in the KV cache
    assert b == a
    assert common_prefix(p1, p2) >= len(text[: text.index("value_20")])


def test_empty_document() -> None:
    w = window("", 0)
    assert (w.before, w.after_anchor, w.suffix) == ("", "", "")
    assert prompt_text(layout_fim_prompt(w)) == "<|fim_prefix|><|fim_suffix|><|fim_middle|>"


def test_chat_layout() -> None:
    text = prompt_text(layout_chat_prompt("sys", "fix it", "```py\n"))
    assert text == (
        "<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nfix it<|im_end|>\n"
        "<|im_start|>assistant\n```py\n"
    )


def _cut(text: str, line: int, cached: tuple[int, int] | None, cold: int = 32):  # type: ignore[no-untyped-def]
    offset = line_offset_of(text, line)
    return cut_fim_window(
        text, offset, choose_anchor(text, offset, None), prefix_lines=64, suffix_lines=16,
        prefix_chars=10**6, suffix_chars=10**6, cached_lines=cached, cold_lines=cold,
    )  # fmt: skip


def line_offset_of(text: str, line: int) -> int:
    return sum(len(x) + 1 for x in text.split("\n")[:line])


LONG = "".join(f"value_{i} = compute({i})\n" for i in range(400))


def test_a_cold_window_is_cut_to_cold_lines() -> None:
    assert _cut(LONG, 200, None).first_line == 200 - 32  # first request in the file
    assert _cut(LONG, 200, None, cold=0).first_line == 128  # the grid start, 72 lines
    assert _cut(LONG, 200, (0, 96)).first_line == 200 - 32  # far below the cached lines


def test_a_window_near_the_cached_lines_reuses_them() -> None:
    # Moving down a little: the grid start (the backend drops the cached lines above it and moves
    # the rest down), or the cached start when the grid start is above it.
    assert _cut(LONG, 170, (64, 150)).first_line == 96  # grid(170 - 64)
    assert _cut(LONG, 180, (100, 170)).first_line == 100
    # Moving down far: more than 32 new lines make it cold.
    assert _cut(LONG, 240, (100, 170)).first_line == 240 - 32
    # Moving up: the window keeps the cached start while 32 lines stay above the cursor.
    assert _cut(LONG, 190, (150, 200)).first_line == 150
    assert _cut(LONG, 182, (150, 200)).first_line == 150
    # Too close to (or above) the cached start: a cold window.
    assert _cut(LONG, 170, (150, 200)).first_line == 170 - 32
    assert _cut(LONG, 100, (150, 200)).first_line == 100 - 32
    # Inside the head a prefill cached: the full window from line 0.
    assert _cut(LONG, 60, (0, 96)).first_line == 0
