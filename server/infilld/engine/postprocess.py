"""Turning raw model output into a suggestion a user would accept.

Rules, each covered by golden cases in tests/golden/: cut at leaked special tokens; single-line
suggestions end at the line break; multi-line ones stop at the line that leaves the block, at
`max_lines`, or where they start repeating the code below the cursor; text that duplicates the rest
of the current line is dropped; closing brackets that the code after the cursor already provides are
not repeated; a bracket that the lines below close as the current line's continuation is left
open; a block is not closed while its body goes on below the cursor; a suggestion that writes the
unfinished line above it again is dropped; trailing whitespace goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

import msgspec

from infilld.engine.prompt import SPECIAL_TEXTS

_SPECIAL_RE = re.compile("|".join(re.escape(s) for s in SPECIAL_TEXTS))
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
# A line that only closes brackets (`}`, `]);`, `},`).
_CLOSER_LINE_RE = re.compile(r"^[)\]}]+[;,]?$")
# Line ends that open a block or a bracket, then a trailing comment if any.
_OPENS = r":|\{|\(|\[|=>|->|\bdo|\bthen"
_LINE_END = r"\s*(#.*|\/\/.*)?$"
# A line ending with one of these opens a block or a continuation: the suggestion may span lines.
# ("=" is not one: `x = ` at the end of a line is finished on that line.)
_BLOCK_OPENER_RE = re.compile(rf"({_OPENS}){_LINE_END}")
# A line that cannot end a statement: it opens a block or a bracket, or ends with an operator
# (`x &&`, `a +`, `total =`, a `\` line join). The line after it continues it. (A line ending
# with `,` can: list items and arguments repeat legitimately, `[call("a")],` twice in a test; so
# can `<div>`, and comments, `# ----` above `# ----`.)
_UNFINISHED_RE = re.compile(rf"({_OPENS}|&&|\|\||\band|\bor|\bnot|[-+*/%=?|&^\\]){_LINE_END}")
_COMMENT_STARTS = ("#", "//", "/*", "*", "--", ";", "<!--")
MIN_REPEATED_CHARS = 4  # `if (` is the shortest unfinished line worth comparing


class CursorContext(msgspec.Struct, frozen=True):
    """What post-processing needs to know about the text around the cursor."""

    line_prefix: str  # the current line, left of the cursor
    line_suffix: str  # the current line, right of the cursor
    next_lines: tuple[str, ...]  # a few lines after the current one
    multiline: bool
    max_lines: int
    previous_line: str = ""  # the nearest line above the current one that is not blank


def cursor_context(
    text: str, offset: int, *, mode: Literal["auto", "always", "never"], max_lines: int
) -> CursorContext:
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    prefix, suffix = text[line_start:offset], text[offset:line_end]
    following = tuple(text[line_end + 1 :].split("\n", 8)[:8]) if line_end < len(text) else ()
    previous = _previous_line(text, line_start)
    if mode == "always":
        multi = not suffix.strip()
    elif mode == "never":
        multi = False
    else:
        multi = decide_multiline(prefix, suffix)
    return CursorContext(prefix, suffix, following, multi, max_lines if multi else 1, previous)


def _previous_line(text: str, line_start: int, *, look_back: int = 8) -> str:
    """The nearest non-blank line of the `look_back` lines that end before `line_start`."""
    end = line_start - 1  # the line break before the current line
    for _ in range(look_back):
        if end < 0:
            return ""
        start = text.rfind("\n", 0, end) + 1
        if text[start:end].strip():
            return text[start:end]
        end = start - 1
    return ""


def decide_multiline(line_prefix: str, line_suffix: str) -> bool:
    """Multi-line on an empty line or after a block opener; single-line when finishing a line."""
    if line_suffix.strip():
        return False
    if not line_prefix.strip():
        return True
    return bool(_BLOCK_OPENER_RE.search(line_prefix.rstrip()))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _block_indent(ctx: CursorContext) -> tuple[int, bool]:
    """(indentation of the block the suggestion lives in, whether the current line opens it)."""
    opens = bool(ctx.line_prefix.strip()) and decide_multiline(ctx.line_prefix, "")
    return _indent(ctx.line_prefix), opens


def _leaves_block(line: str, base: int, opener: bool) -> bool:
    if not line.strip():
        return False
    ind = _indent(line)
    return ind <= base if opener else ind < base


def cut_special_tokens(text: str) -> str:
    m = _SPECIAL_RE.search(text)
    return text[: m.start()] if m else text


def _line_limit(lines: list[str], ctx: CursorContext) -> int:
    """Lines a multi-line suggestion may have: `max_lines` of new code, plus the rest of the
    current line when that is empty (a suggestion after `def f():` starts with a line break)."""
    return ctx.max_lines + (1 if len(lines) > 1 and not lines[0].strip() else 0)


def _closes_opener(line: str, ctx: CursorContext, base: int, opener: bool) -> bool:
    """`line` is just the closer (`}`, `]);`, ...) of the bracket the current line opened, at the
    current line's indentation: it belongs to the suggestion, not to the code after it."""
    closing = line.strip()
    if not opener or _indent(line) != base or not _CLOSER_LINE_RE.match(closing):
        return False
    stack = _unclosed(ctx.line_prefix)
    return bool(stack) and _OPENERS[stack[-1]] == closing[0]


def _first_meaningful(lines: tuple[str, ...]) -> str:
    for line in lines:
        if line.strip():
            return line.strip()
    return ""


MAX_BLANK_RUN = 64  # more spaces or tabs in a row than any indentation


def is_complete(raw: str, ctx: CursorContext) -> bool:
    """True when more generation cannot change the post-processed suggestion (stop early)."""
    text = cut_special_tokens(raw)
    if text != raw:
        return True
    if len(text) - len(text.rstrip(" \t")) > MAX_BLANK_RUN:
        return True  # a degenerate run of blanks (seen from the 0.5B model): it never ends well
    if not ctx.multiline:
        return "\n" in text.lstrip("\n") or (
            text.startswith("\n") and bool(ctx.line_prefix.strip())
        )
    lines = text.split("\n")
    complete = lines[:-1]  # the last line may still grow
    if len(complete) >= _line_limit(lines, ctx):
        return True
    base, opener = _block_indent(ctx)
    nxt = _first_meaningful(ctx.next_lines)
    for i, line in enumerate(complete):
        first = i == 0
        if not first and _leaves_block(line, base, opener):
            return True
        if not first and nxt and line.strip() == nxt and len(nxt) > 1:
            return True
    return False


def postprocess(raw: str, ctx: CursorContext, *, truncated: bool = False) -> str:
    """The suggestion text to insert at the cursor ("" for none).

    `truncated` means generation stopped early (deadline/max tokens): a partial last line is dropped
    so the user only sees complete lines.
    """
    text = cut_special_tokens(raw).replace("\r\n", "\n")
    if _closes_a_block_that_goes_on(text, ctx) or _rewrites_the_line_above(text, ctx):
        return ""
    if not ctx.multiline:
        if text.startswith("\n") and not ctx.line_prefix.strip():
            text = text.lstrip("\n")
        line, _, rest = text.partition("\n")
        if truncated and not rest and not ctx.line_suffix.strip():
            return ""
        out = _drop_line_suffix_overlap(line.rstrip(), ctx.line_suffix)
        return _leave_open_what_the_code_below_closes(_balance_closers(out, ctx), ctx)
    lines = text.split("\n")
    if truncated and len(lines) > 1:
        lines = lines[:-1]
    elif truncated:
        return ""
    base, opener = _block_indent(ctx)
    nxt = _first_meaningful(ctx.next_lines)
    kept: list[str] = []
    for i, line in enumerate(lines):
        if i > 0 and _leaves_block(line, base, opener):
            # Keep the closing `}` / `]` of a block the suggestion opened, unless the code below
            # the cursor already closes it.
            if _closes_opener(line, ctx, base, opener) and not nxt.startswith(line.strip()[0]):
                kept.append(line.rstrip())
            break
        # The model started re-writing the code that follows the cursor.
        if i > 0 and nxt and line.strip() == nxt and (len(nxt) > 1 or nxt in _CLOSERS):
            break
        kept.append(line.rstrip())
        if len(kept) >= _line_limit(lines, ctx):
            break
    while kept and not kept[-1].strip():
        kept.pop()
    out = "\n".join(kept)
    if not out.strip():
        return ""
    return _balance_closers(out, ctx)


def _closes_a_block_that_goes_on(text: str, ctx: CursorContext) -> bool:
    """On an empty line, a suggestion that starts by only closing brackets (`}`, `]);`) while the
    code below the cursor is indented at least as deep: the block it would close goes on below,
    so accepting it would cut the block short. (The 0.5B model wrote a lone `}` where a method's
    next statement belonged, RESULTS-quality.md.)"""
    if ctx.line_prefix.strip() or ctx.line_suffix.strip():
        return False
    first = text.split("\n", 1)[0].strip()
    if not _CLOSER_LINE_RE.match(first):
        return False
    below = next((line for line in ctx.next_lines if line.strip()), None)
    return below is not None and _indent(below) >= _indent(ctx.line_prefix)


def _rewrites_the_line_above(text: str, ctx: CursorContext) -> bool:
    """On an empty line below an unfinished one (`await queue.put(`, `if ready:`, `a and`), a
    suggestion that starts with that whole line again: the model re-wrote the statement the cursor
    is inside instead of continuing it (`await queue.put(Event(...))  # note` under
    `await queue.put(`, RESULTS-quality.md), and accepting it would leave the line twice. An
    unfinished line never legitimately follows itself; finished ones do (list items), so they are
    left alone."""
    if ctx.line_prefix.strip():
        return False
    above = ctx.previous_line.strip()
    if len(above) < MIN_REPEATED_CHARS or above.startswith(_COMMENT_STARTS):
        return False
    if not _UNFINISHED_RE.search(above):
        return False
    return text.lstrip("\n").split("\n", 1)[0].strip().startswith(above)


def _drop_line_suffix_overlap(line: str, line_suffix: str) -> str:
    """Cursor inside `foo(|)`: a suggestion `a, b)` becomes `a, b` (the `)` is already there)."""
    rest = line_suffix.strip()
    if not rest:
        return line
    if line.endswith(rest):
        return line[: len(line) - len(rest)].rstrip() if line.strip() != rest else ""
    if line.strip() == rest or (rest.startswith(line.strip()) and line.strip()):
        return ""  # the suggestion only repeats what already follows the cursor
    return line


def _brackets(text: str) -> Iterator[tuple[int, str]]:
    """The brackets of `text` outside string literals, with their offsets."""
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and (i == 0 or text[i - 1] != "\\"):
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in _OPENERS or ch in _CLOSERS:
            yield i, ch


def _unclosed(text: str, stack: list[str] | None = None) -> list[str]:
    """The openers `text` leaves open, innermost last, continuing `stack` (a closer that matches
    nothing is ignored)."""
    stack = [] if stack is None else stack
    for _, ch in _brackets(text):
        if ch in _OPENERS:
            stack.append(ch)
        elif stack and stack[-1] == _CLOSERS[ch]:
            stack.pop()
    return stack


def _balance_closers(text: str, ctx: CursorContext) -> str:
    """Cut the suggestion where it closes a bracket it never opened and the code after the cursor
    already closes (otherwise accepting it would leave a duplicate `)` or `}`)."""
    after = (ctx.line_suffix + "\n" + "\n".join(ctx.next_lines)).lstrip()
    depth: list[str] = []
    for i, ch in _brackets(text):
        if ch in _OPENERS:
            depth.append(ch)
        elif depth and depth[-1] == _CLOSERS[ch]:
            depth.pop()
        elif after.startswith(ch):
            return text[:i].rstrip()
    return text


def _openers_closed_below(ctx: CursorContext) -> list[str]:
    """The openers the current line must leave open, innermost last: the lines below are its
    continuation (indented deeper) and end with closers they never opened, as in
    `raise Error(` above `    f"...",` and `) from e`."""
    base = _indent(ctx.line_prefix)
    first = next((line for line in ctx.next_lines if line.strip()), None)
    if first is None or _indent(first) <= base:
        return []
    open_below: list[str] = []
    needed: list[str] = []
    for line in ctx.next_lines:
        if not line.strip():
            continue
        if _indent(line) <= base:
            # The line that ends the continuation: only the closers it starts with count.
            for ch in line.strip():
                if ch not in _CLOSERS:
                    break
                if open_below and open_below[-1] == _CLOSERS[ch]:
                    open_below.pop()
                elif open_below:
                    break
                else:
                    needed.append(_CLOSERS[ch])
            break
        for _, ch in _brackets(line):
            if ch in _OPENERS:
                open_below.append(ch)
            elif open_below and open_below[-1] == _CLOSERS[ch]:
                open_below.pop()
            elif not open_below:
                needed.append(_CLOSERS[ch])
    return needed[::-1]


def _leave_open_what_the_code_below_closes(text: str, ctx: CursorContext) -> str:
    """Cursor at `raise ` above the lines `    f"bad {x}"` and `) from e`: a suggestion
    `Error(f"bad {x}")` becomes `Error(`, since the arguments and the `)` are already below;
    accepting the whole call would leave them dangling. Nothing changes when the line's prefix or
    the whole suggestion already leaves those brackets open, or when no opener in the suggestion
    leaves them open."""
    needed = _openers_closed_below(ctx)
    if not needed or ctx.line_suffix.strip():
        return text

    def leaves_open(stack: list[str]) -> bool:
        return len(stack) >= len(needed) and stack[-len(needed) :] == needed

    stack = _unclosed(ctx.line_prefix)
    if leaves_open(stack) or leaves_open(_unclosed(text, list(stack))):
        return text
    for i, ch in _brackets(text):
        if ch in _OPENERS:
            stack.append(ch)
            if leaves_open(stack):
                return text[: i + 1]
        elif stack and stack[-1] == _CLOSERS[ch]:
            stack.pop()
    return text
