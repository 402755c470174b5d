"""Post-processing, driven by the golden cases in tests/golden/postprocess/*.toml.

Each case gives the cursor's surroundings (line_prefix, line_suffix, next_lines), the mode and
max_lines, the raw model output and the expected suggestion. Besides the expected output, every
case checks the early-stop contract: if `is_complete` says stop at some point of the raw output,
the post-processed text at that point is already the final suggestion.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from infilld.engine.postprocess import (
    CursorContext,
    cursor_context,
    decide_multiline,
    is_complete,
    postprocess,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "postprocess"
KEYS = {
    "name", "line_prefix", "line_suffix", "next_lines", "mode", "max_lines", "truncated", "raw",
    "expected", "multiline", "previous_lines",
}  # fmt: skip


def load_cases() -> list[Any]:
    params = []
    for file in sorted(GOLDEN.glob("*.toml")):
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        for case in data["case"]:
            unknown = set(case) - KEYS
            assert not unknown, f"{file.name}: {case.get('name')}: unknown keys {unknown}"
            params.append(pytest.param(case, id=f"{file.stem}: {case['name']}"))
    return params


CASES = load_cases()


def context_for(case: dict[str, Any]) -> CursorContext:
    prefix, suffix = case["line_prefix"], case.get("line_suffix", "")
    above = "".join(line + "\n" for line in case.get("previous_lines", []))
    text = above + prefix + suffix + "".join("\n" + line for line in case.get("next_lines", []))
    return cursor_context(
        text,
        len(above) + len(prefix),
        mode=case.get("mode", "auto"),
        max_lines=case.get("max_lines", 8),
    )


def test_there_are_golden_cases_for_every_rule() -> None:
    files = {p.stem for p in GOLDEN.glob("*.toml")}
    assert {"special_tokens", "single_line", "multi_line", "max_lines", "duplicates",
            "brackets", "truncated"} <= files  # fmt: skip
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_golden(case: dict[str, Any]) -> None:
    ctx = context_for(case)
    if "multiline" in case:
        assert ctx.multiline is case["multiline"]
    got = postprocess(case["raw"], ctx, truncated=case.get("truncated", False))
    assert got == case["expected"]


@pytest.mark.parametrize("case", [c for c in CASES if not c.values[0].get("truncated")])
def test_early_stop_never_changes_the_suggestion(case: dict[str, Any]) -> None:
    ctx = context_for(case)
    raw = case["raw"]
    for i in range(len(raw) + 1):
        if is_complete(raw[:i], ctx):
            assert postprocess(raw[:i], ctx) == case["expected"], f"stopped after {raw[:i]!r}"
            return


def test_generation_stops_early_on_the_obvious_cases() -> None:
    ctx = context_for({"line_prefix": "    return a"})
    assert not is_complete(" + b", ctx)
    assert is_complete(" + b\n", ctx)
    ctx = context_for({"line_prefix": "def f(x):"})
    assert not is_complete("\n    return x", ctx)
    assert is_complete("\n    return x\nprint(1)\n", ctx)  # left the block
    assert is_complete("x<|file_sep|>", ctx)
    assert not is_complete("\n" + " " * 12, ctx)  # indentation
    assert is_complete("\n" + " " * 90, ctx)  # a degenerate run of blanks: stop, never show it


@pytest.mark.parametrize(
    ("prefix", "suffix", "multi"),
    [
        ("", "", True),
        ("    ", "", True),
        ("def f(x):", "", True),
        ("function f() {", "", True),
        ("x = [", "", True),
        ("const f = () =>", "", True),
        ("    return a", "", False),
        ("foo(", ")", False),
        ("x = 1  # done", "", False),
    ],
)
def test_decide_multiline(prefix: str, suffix: str, multi: bool) -> None:
    assert decide_multiline(prefix, suffix) is multi


def test_cursor_context_reads_the_lines_around_the_cursor() -> None:
    text = "a = 1\nb = foo(x)\nc = 3\nd = 4\n"
    ctx = cursor_context(text, text.index("x)"), mode="auto", max_lines=5)
    assert ctx.line_prefix == "b = foo("
    assert ctx.line_suffix == "x)"
    assert ctx.next_lines[:2] == ("c = 3", "d = 4")
    assert not ctx.multiline and ctx.max_lines == 1
    end = cursor_context(text, len(text), mode="auto", max_lines=5)
    assert end.line_prefix == "" and end.next_lines == () and end.multiline
    assert ctx.previous_line == "a = 1" and end.previous_line == "d = 4"
    assert cursor_context(text, 0, mode="auto", max_lines=5).previous_line == ""
    gap = "    if ready:\n\n   \n        "
    assert cursor_context(gap, len(gap), mode="auto", max_lines=5).previous_line == "    if ready:"
