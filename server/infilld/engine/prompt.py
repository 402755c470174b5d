"""Qwen2.5-Coder prompt layouts, ordered so consecutive requests share the longest token prefix.

llama.cpp keeps the KV cache of the longest common token prefix between two prompts and re-evaluates
everything after the first difference, so the layout puts what changes least first:

    <|repo_name|>name  <|file_sep|>other files...   (repository context: changes rarely)
    <|file_sep|>current/path
    <|fim_prefix|>  lines before the ANCHOR         (stable while the user types below the anchor)
    <|fim_suffix|>  text after the cursor           (stable while typing: insertions happen before it)
    <|fim_middle|>  text from the anchor to the cursor (grows as the user types: only appended)

The anchor is the start of the line where a burst of typing began; it stays put while the cursor
remains within a few lines below it and nothing above it changes, so typing, even across Enter,
appends tokens instead of invalidating the suffix. llama.cpp's /infill does the same with the anchor
fixed at the current line, which costs a full suffix re-evaluation at every new line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import msgspec

from infilld.backends.base import PromptPiece, Special

FIM_PREFIX = Special("<|fim_prefix|>")
FIM_SUFFIX = Special("<|fim_suffix|>")
FIM_MIDDLE = Special("<|fim_middle|>")
REPO_NAME = Special("<|repo_name|>")
FILE_SEP = Special("<|file_sep|>")
IM_START = Special("<|im_start|>")
IM_END = Special("<|im_end|>")
SPECIAL_TEXTS = (
    "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|repo_name|>",
    "<|file_sep|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>",
)  # fmt: skip

# How far the cursor may move below the anchor before the anchor is moved to the cursor line.
ANCHOR_MAX_LINES = 12
ANCHOR_MAX_CHARS = 1200
WINDOW_STEP_LINES = 32
WINDOW_STEP_CHARS = 2048
# When the cursor moves up, the window keeps its start (whose tokens the KV cache holds) instead of
# moving up to the grid, as long as at least this many lines remain above the anchor.
STICKY_MIN_LINES = 32


class Snippet(msgspec.Struct, frozen=True):
    """A slice of another file for the repository-level block (path relative to the workspace)."""

    path: str
    text: str


class Anchor(msgspec.Struct, frozen=True):
    """Where the FIM prefix ends for a file, and a fingerprint of the text before it."""

    offset: int
    head_digest: str


class FimWindow(msgspec.Struct, frozen=True):
    before: str  # text before the anchor (window-capped)
    after_anchor: str  # text from the anchor to the cursor
    suffix: str  # text after the cursor (window-capped)
    anchor: Anchor
    first_line: int = 0  # the line the prefix window starts on (before any character cap)
    anchor_line: int = 0  # the anchor's line: the prefix window covers first_line..anchor_line


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def choose_anchor(text: str, offset: int, previous: Anchor | None) -> Anchor:
    """Keep the previous anchor while it still sits shortly above the cursor and the text before it
    is unchanged; otherwise anchor at the start of the cursor's line."""
    line_start = text.rfind("\n", 0, offset) + 1
    if previous is not None and previous.offset <= line_start:
        between = text[previous.offset : offset]
        if (
            between.count("\n") <= ANCHOR_MAX_LINES
            and len(between) <= ANCHOR_MAX_CHARS
            and (previous.offset == 0 or text[previous.offset - 1] == "\n")
            and _digest(text[: previous.offset]) == previous.head_digest
        ):
            return previous
    return Anchor(line_start, _digest(text[:line_start]))


def cut_fim_window(
    text: str,
    offset: int,
    anchor: Anchor,
    *,
    prefix_lines: int,
    suffix_lines: int,
    prefix_chars: int,
    suffix_chars: int,
    cached_lines: tuple[int, int] | None = None,
    cold_lines: int = 0,
) -> FimWindow:
    """Cut the text around the cursor at positions that do not move while the user types.

    The prefix window is measured back from the anchor (not the cursor), starting on a line that is
    a multiple of WINDOW_STEP_LINES, and the suffix window forward from the cursor in whole lines, so
    neither edge shifts when characters are typed at the cursor.

    `cached_lines` (first, end): the lines of this file the KV cache holds, from the previous window
    or a prefill. llama.cpp reuses cached text only when nothing new comes before it, so:
    - when the cursor moved up, the window keeps starting at `first` while STICKY_MIN_LINES lines
      remain above the anchor, instead of moving up to the grid;
    - when the cursor moved down, the window follows the grid: the lines dropped from its top cost
      nothing (the backend moves the cached rest down);
    - a cold window (the first request in a file, or one that would begin above the cached lines
      or need more than `cold_lines` new lines) is cut to `cold_lines` lines (0: no cut), so it
      costs a few hundred tokens, not a thousand; the next windows here keep that start and grow
      as the user moves down.
    """
    a = anchor.offset
    # The window's first line is rounded down to a multiple of WINDOW_STEP_LINES (and its char cap
    # to WINDOW_STEP_CHARS), so when the anchor moves a few lines the window still starts at the
    # same place and only the text after the old anchor must be re-evaluated, not the whole prefix.
    anchor_line = text.count("\n", 0, a)
    first_line = max(0, anchor_line - prefix_lines)
    first_line -= first_line % WINDOW_STEP_LINES
    cold = cached_lines is None
    if cached_lines is not None:
        c0, c1 = cached_lines
        if first_line < c0:
            if anchor_line - c0 >= min(STICKY_MIN_LINES, prefix_lines):
                first_line = c0  # keep the cached start
            else:
                cold = True  # the window would begin with lines the cache does not hold
        cold = cold or anchor_line - max(first_line, c1) > cold_lines  # too many new lines
    if cold and cold_lines:
        first_line = max(first_line, anchor_line - cold_lines)
    start = 0
    for _ in range(first_line):
        start = text.index("\n", start) + 1
    if a - start > prefix_chars:
        cut = a - prefix_chars
        step = max(1, min(WINDOW_STEP_CHARS, prefix_chars // 4))
        cut += -cut % step  # round up: the window never exceeds prefix_chars
        nl = text.find("\n", cut, a) if cut < a else -1
        start = nl + 1 if nl != -1 else min(cut, a)
    end = offset
    for _ in range(suffix_lines + 1):
        nl = text.find("\n", end)
        if nl == -1:
            end = len(text)
            break
        end = nl + 1
    if end - offset > suffix_chars:
        cut = offset + suffix_chars
        nl = text.rfind("\n", offset, cut)
        end = nl + 1 if nl > offset else cut
    return FimWindow(
        before=text[start:a],
        after_anchor=text[a:offset],
        suffix=text[offset:end],
        anchor=anchor,
        first_line=first_line,
        anchor_line=anchor_line,
    )


def layout_fim_prompt(
    window: FimWindow,
    *,
    path: str | None = None,
    repo_name: str | None = None,
    snippets: Sequence[Snippet] = (),
) -> list[PromptPiece]:
    """The FIM prompt: repository-level when there is context, file-level otherwise."""
    pieces = layout_repo_head(path=path, repo_name=repo_name, snippets=snippets)
    pieces += [
        FIM_PREFIX,
        window.before,
        FIM_SUFFIX,
        window.suffix,
        FIM_MIDDLE,
        window.after_anchor,
    ]
    return pieces


def layout_repo_head(
    *, path: str | None, repo_name: str | None, snippets: Sequence[Snippet]
) -> list[PromptPiece]:
    """What a FIM prompt holds before the current file's text: the repository block and the
    current file's header (nothing without snippets). It depends on the block only, not on the
    cursor, so a KV cache holding it serves every window of the file."""
    if not snippets:
        return []
    pieces: list[PromptPiece] = [REPO_NAME, f"{repo_name or 'workspace'}\n"]
    for snip in snippets:
        pieces += [FILE_SEP, f"{snip.path}\n{snip.text.rstrip()}\n"]
    pieces += [FILE_SEP, f"{path or 'untitled'}\n"]
    return pieces


def layout_chat_prompt(system: str, user: str, assistant_start: str = "") -> list[PromptPiece]:
    """Qwen's chat format (for instruct models), optionally pre-filling the assistant's answer."""
    return [
        IM_START, f"system\n{system}", IM_END, "\n",
        IM_START, f"user\n{user}", IM_END, "\n",
        IM_START, f"assistant\n{assistant_start}",
    ]  # fmt: skip


def prompt_text(pieces: Sequence[PromptPiece]) -> str:
    """The prompt as one string (for logs and debugging)."""
    return "".join(p.name if isinstance(p, Special) else p for p in pieces)
