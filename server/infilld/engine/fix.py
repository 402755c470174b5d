"""Model-backed code actions ("Fix this", "Add docstring", ...): region, prompt, answer, minimal edit.

The flow for one chosen action: `find_region` picks the enclosing function or class (tree-sitter, or
an indentation heuristic for languages without a grammar), `build_fix_prompt` lays out a Qwen chat
prompt whose assistant turn is pre-filled with an opening code fence, and `FixEngine.compute` runs
the model on the backend's owner thread. The answer is then parsed (`extract_code`), mapped back onto
the region even when the model returned only part of it or more than it (`map_answer`), turned into
line edits of the region (`diff_edits`), and checked not to break the syntax (`check_syntax`).
Anything that would not be a good edit raises `FixRefused` with a message for the user. This module
knows nothing of LSP: offsets are indexes into the document string.
"""

from __future__ import annotations

import ast
import asyncio
import difflib
import logging
import re
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from infilld.backends.base import (
    Backend,
    CancelEvent,
    GenerationRequest,
    PromptPiece,
    StopReason,
    run_generation,
)
from infilld.engine.prompt import SPECIAL_TEXTS, layout_chat_prompt
from infilld.errors import InfilldError

log = logging.getLogger(__name__)

ActionKind = Literal["fix", "fix_selection", "docstring", "type_hints"]
RefusalKind = Literal[
    "stale",
    "not_open",
    "not_ready",
    "too_large",
    "no_code",
    "prose",
    "wrong_language",
    "no_change",
    "syntax",
    "cancelled",
    "timeout",
]

# A region larger than this is cut to a window around the target: the answer must be repeated
# token by token, and a 2-core CPU writes about 20 tokens/s with the 0.5B model.
MAX_REGION_LINES = 80
WINDOW_LINES = 20  # lines kept on each side of the target when the enclosing scope is too large
MAX_SELECTION_LINES = 200  # a larger selection is refused with a message instead of truncated
MAX_CONTEXT_CHARS = 1500  # definitions of names used by the region, shown for reference
# Stop generating once this many lines after the last change repeat the original: the model is
# only copying the rest of the region, which the mapping keeps anyway (a partial answer).
CONVERGED_LINES = 4

# Code-fence tags, canonicalised; tags of one family may legitimately be used for each other.
_TAGS = {
    "python": "python", "py": "python", "python3": "python",
    "javascript": "js", "js": "js", "jsx": "js", "node": "js", "typescript": "js", "ts": "js",
    "tsx": "js", "javascriptreact": "js", "typescriptreact": "js", "java": "java",
    "go": "go", "golang": "go", "rust": "rust", "rs": "rust", "c": "c", "cpp": "c", "c++": "c",
    "h": "c", "hpp": "c", "csharp": "csharp", "cs": "csharp", "c#": "csharp", "php": "php",
    "bash": "bash", "sh": "bash", "shell": "bash", "zsh": "bash", "ruby": "ruby", "rb": "ruby",
    "kotlin": "kotlin", "swift": "swift",
}  # fmt: skip
_FENCE_NAMES = {
    "javascriptreact": "jsx",
    "typescriptreact": "tsx",
    "shellscript": "bash",
    "csharp": "csharp",
}
_DISPLAY_NAMES = {
    "python": "Python",
    "javascript": "JavaScript",
    "javascriptreact": "JavaScript",
    "typescript": "TypeScript",
    "typescriptreact": "TypeScript",
    "go": "Go",
    "rust": "Rust",
    "java": "Java",
    "c": "C",
    "cpp": "C++",
    "csharp": "C#",
    "php": "PHP",
    "bash": "Bash",
}
_FENCE_RE = re.compile(
    r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.M | re.S
)
_IDENT_RE = re.compile(r"[^\W\d]\w*")
_CLOSERS_RE = re.compile(r"^[\s\]\)\}>;,]*$")
_COMMENT_RE = re.compile(r"^\s*(#|//|/\*|\*|\"\"\"|''')")


class FixRefused(InfilldError):
    """The action produced no edit worth applying; `str()` says why, for the user."""

    def __init__(self, kind: RefusalKind, message: str) -> None:
        super().__init__(message)
        self.kind: RefusalKind = kind


@dataclass(frozen=True)
class Problem:
    """The diagnostic the user wants fixed (as the editor reported it)."""

    message: str
    code: str = ""
    source: str = ""


@dataclass(frozen=True)
class FixTask:
    """One chosen action on one document snapshot. Offsets index into `text`."""

    kind: ActionKind
    text: str
    start: int  # the diagnostic's range or the selection
    end: int
    language_id: str = ""  # the LSP languageId (or a table key); "" when unknown
    path: str = "untitled"  # shown to the model; relative to the workspace when possible
    version: int | None = None  # the document version this task was computed for
    problem: Problem | None = None


@dataclass(frozen=True)
class Region:
    """Whole lines of the document the model sees and may rewrite."""

    start: int  # offset of the first line's start
    end: int  # offset just past the last line (its line break included, when it has one)
    text: str
    first_line: int  # 0-based
    scope_name: str = ""  # the enclosing function/class, "" for a plain window


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with new_text (offsets into the original document)."""

    start: int
    end: int
    new_text: str


@dataclass
class FixResult:
    edits: list[Edit]
    version: int | None
    region: Region
    new_region: str
    answer: str
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    generated_tokens: int = 0
    stop_reason: str = ""


@dataclass
class FixPlan:
    """Everything decided before the model runs."""

    region: Region
    prompt: list[PromptPiece]
    prefill: str
    target_lines: tuple[int, int]  # the target's lines, relative to the region (inclusive)
    context: list[str] = field(default_factory=list)


# (task, names used in the region) -> definitions of those names from other files (source text).
DefinitionProvider = Callable[[FixTask, Sequence[str]], Sequence[str]]


# -- lines ---------------------------------------------------------------------------------------
def _split_lf(text: str) -> list[str]:
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _lines(text: str) -> list[str]:
    # str.splitlines also breaks on \x0c, \u2028 ...; regions and answers split on \n only.
    return _split_lf(text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(0, min(offset, len(text))))


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    if starts[-1] == len(text) and len(starts) > 1:
        starts.pop()  # a final line break does not open another line of content
    return starts


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """The document after the edits (which must not overlap)."""
    out = text
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[: e.start] + e.new_text + out[e.end :]
    return out


# -- the region -----------------------------------------------------------------------------------
def _language(task: FixTask) -> object | None:
    """The tree-sitter language of the task, or None (no grammar: heuristics only)."""
    try:
        from infilld.syntax import language_for_id, language_for_source
    except ImportError:  # pragma: no cover - tree-sitter missing from the install
        return None
    lang = language_for_id(task.language_id) if task.language_id else None
    return lang if lang is not None else language_for_source(task.path, task.text)


def find_region(task: FixTask, max_lines: int = MAX_REGION_LINES) -> Region:
    """The lines the model rewrites: the innermost enclosing function/class of at least three lines
    that holds the whole target, else a window around the target bounded by top-level statements."""
    text = task.text
    starts = _line_starts(text)
    first = min(_line_of(text, task.start), len(starts) - 1)
    last = min(_line_of(text, max(task.start, task.end)), len(starts) - 1)
    if task.end > task.start and last > first and task.end == starts[last]:
        last -= 1  # a selection that ends at column 0 does not include that line
    lo, hi, name = _scope_lines(task, first, last, max_lines)
    lines = _lines(text)
    if lo is None or hi is None:
        lo, hi = _heuristic_lines(lines, first, last, max_lines)
        name = ""
    else:
        # The doc comment and decorators above a function say what it should do: keep them.
        while (
            lo > 0
            and first - lo < max_lines
            and lines[lo - 1].strip()
            and (_COMMENT_RE.match(lines[lo - 1]) or lines[lo - 1].lstrip().startswith("@"))
        ):
            lo -= 1
    start = starts[lo]
    end = starts[hi + 1] if hi + 1 < len(starts) else len(text)
    return Region(start=start, end=end, text=text[start:end], first_line=lo, scope_name=name)


def _scope_lines(
    task: FixTask, first: int, last: int, max_lines: int
) -> tuple[int | None, int | None, str]:
    lang = _language(task)
    if lang is None:
        return None, None, ""
    from infilld.syntax import LoadedLanguage, char_to_byte, enclosing_scopes, parse

    assert isinstance(lang, LoadedLanguage)
    text = task.text
    tree = parse(text, lang)
    # Probe just inside the target's first non-blank character: a scope must *contain* the offset,
    # and a diagnostic on a `def` line starts exactly where the function does.
    starts = _line_starts(text)
    line_end = text.find("\n", starts[first])
    line_end = len(text) if line_end < 0 else line_end
    probe = max(task.start, starts[first] + _indent(text[starts[first] : line_end]))
    scopes = enclosing_scopes(tree, char_to_byte(text, min(probe + 1, len(text))))
    for scope in reversed(scopes):  # innermost first
        span = scope.end_line - scope.start_line + 1
        if span < 3 or scope.start_line > first or scope.end_line < last:
            continue
        if span <= max_lines:
            return scope.start_line, scope.end_line, scope.name
        # Too large to repeat: a window around the target, inside the scope.
        lo = max(scope.start_line, first - WINDOW_LINES)
        hi = min(scope.end_line, last + WINDOW_LINES)
        return lo, hi, scope.name
    return None, None, ""


def _heuristic_lines(lines: list[str], first: int, last: int, max_lines: int) -> tuple[int, int]:
    """Grow the target to whole top-level statements: up to a line at column 0, down to the line
    before the next one (closing brackets at column 0 belong to the statement above)."""
    if not lines:
        return 0, 0
    lo = first
    while lo > 0 and first - lo < max_lines // 2:
        line = lines[lo]
        if line.strip() and _indent(line) == 0:
            break
        lo -= 1
    hi = last
    while hi + 1 < len(lines) and hi - last < max_lines // 2:
        nxt = lines[hi + 1]
        if nxt.strip() and _indent(nxt) == 0 and not _CLOSERS_RE.match(nxt):
            break
        hi += 1
    while hi > last and not lines[hi].strip():
        hi -= 1  # trailing blank lines are not worth repeating
    if hi - lo + 1 > max_lines:
        lo, hi = max(0, first - WINDOW_LINES), min(len(lines) - 1, last + WINDOW_LINES)
    return lo, hi


# -- context ------------------------------------------------------------------------------------
def names_in(text: str) -> list[str]:
    """Identifiers used in `text`, in order of first use."""
    return list(dict.fromkeys(_IDENT_RE.findall(text)))


def local_definitions(
    task: FixTask, region: Region, limit_chars: int = MAX_CONTEXT_CHARS
) -> list[str]:
    """Signatures (and docs) of same-file definitions the region uses but does not contain: what a
    "wrong argument order" fix needs to see."""
    lang = _language(task)
    if lang is None:
        return []
    from infilld.syntax import LoadedLanguage, definitions, parse

    assert isinstance(lang, LoadedLanguage)
    source = task.text.encode("utf-8", errors="replace")
    used = set(names_in(region.text))
    out: list[str] = []
    total = 0
    first, last = region.first_line, region.first_line + region.text.count("\n")
    for d in definitions(parse(task.text, lang), lang, source):
        if d.name not in used or (first <= d.start_line <= last) or d.kind in {"variable"}:
            continue
        snippet = textwrap.dedent(d.signature)
        if d.doc and d.doc_after:
            snippet += "\n" + textwrap.indent(textwrap.dedent(d.doc), "    ")
        elif d.doc:
            snippet = textwrap.dedent(d.doc) + "\n" + snippet
        if snippet in out or total + len(snippet) > limit_chars:
            continue
        out.append(snippet)
        total += len(snippet)
    return out


# -- the prompt ---------------------------------------------------------------------------------
SYSTEM_PROMPT = (
    "You are an expert programmer. You receive code from a file and a change to make. Reply with "
    "the changed code in one fenced code block: repeat the code you were given, with only the "
    "requested change applied, keeping its indentation. No explanations, no examples, no tests."
)


def fence_name(task: FixTask) -> str:
    lid = task.language_id or _language_key(task)
    return _FENCE_NAMES.get(lid, lid or "")


def _language_key(task: FixTask) -> str:
    lang = _language(task)
    return str(getattr(lang, "id", "")) if lang is not None else ""


def _display(task: FixTask) -> str:
    lid = task.language_id or _language_key(task)
    return _DISPLAY_NAMES.get(lid, lid or "the same language")


def _instruction(task: FixTask, region: Region, target_text: str) -> str:
    name = f"`{region.scope_name}`" if region.scope_name else "the code"
    lang = _display(task)
    if task.kind == "fix" and task.problem is not None:
        p = task.problem
        origin = " ".join(x for x in (p.source, f"({p.code})" if p.code else "") if x)
        where = f" on the line `{target_text.strip()}`" if target_text.strip() else ""
        must = (
            f" The line `{target_text.strip()}` is wrong and must change."
            if target_text.strip()
            else ""
        )
        return (
            f"Problem reported{' by ' + origin if origin else ''}{where}:\n{p.message.strip()}\n\n"
            f"Fix this bug in {name}.{must} Reply with the whole code above, corrected."
        )
    if task.kind == "docstring":
        what = (
            "a docstring"
            if lang == "Python"
            else "a documentation comment (JSDoc style or the language's convention)"
        )
        return (
            f"Add {what} to {name} saying what it does, its parameters and what it returns. "
            f"Do not change any code. Reply with the whole code above with the documentation added."
        )
    if task.kind == "type_hints":
        return (
            f"Add {lang} type annotations to the parameters and the return value of {name}. "
            f"Do not change anything else. Reply with the whole code above, annotated."
        )
    focus = (
        f"\nThe user selected these lines:\n```\n{target_text.rstrip()}\n```\n"
        if target_text.strip() and target_text.strip() != region.text.strip()
        else ""
    )
    return f"{focus}Find the bug in {name} and fix it. Reply with the whole code above, corrected."


def build_fix_prompt(
    task: FixTask, region: Region, context: Sequence[str] = ()
) -> tuple[list[PromptPiece], str]:
    """The chat prompt and the pre-filled start of the answer (an opening code fence, so the model
    starts with code instead of prose)."""
    fence = fence_name(task)
    parts: list[str] = []
    if context:
        joined = "\n\n".join(c.rstrip() for c in context)
        parts.append(
            f"Definitions used by the code (for reference only):\n```{fence}\n{joined}\n```\n"
        )
    last = region.first_line + max(0, region.text.count("\n") - 1)
    where = f"{task.path}, lines {region.first_line + 1}-{last + 1}"
    parts.append(f"Code from {where}:\n```{fence}\n{region.text.rstrip()}\n```\n")
    target = task.text[_start_of_line(task.text, task.start) : _end_of_line(task.text, task.end)]
    parts.append(_instruction(task, region, target))
    prefill = f"```{fence}\n"
    return layout_chat_prompt(SYSTEM_PROMPT, "\n".join(parts), prefill), prefill


def _start_of_line(text: str, offset: int) -> int:
    return text.rfind("\n", 0, max(0, offset)) + 1


def _end_of_line(text: str, offset: int) -> int:
    nl = text.find("\n", max(0, offset))
    return len(text) if nl < 0 else nl


def plan_fix(
    task: FixTask,
    definitions: DefinitionProvider | None = None,
    max_region_lines: int = MAX_REGION_LINES,
) -> FixPlan:
    """Region, context and prompt for a task (no model). Raises FixRefused for bad input."""
    if not task.text.strip():
        raise FixRefused("no_code", "the document is empty")
    start, end = sorted(
        (max(0, min(task.start, len(task.text))), max(0, min(task.end, len(task.text))))
    )
    if (start, end) != (task.start, task.end):
        task = FixTask(**{**task.__dict__, "start": start, "end": end})
    selected = task.text.count("\n", start, end) + 1
    if task.kind == "fix_selection" and selected > MAX_SELECTION_LINES:
        raise FixRefused(
            "too_large",
            f"the selection has {selected} lines; select at most {MAX_SELECTION_LINES} lines "
            "(one function) to fix",
        )
    region = find_region(task, max_region_lines)
    context = local_definitions(task, region)
    if definitions is not None:
        try:
            extra = definitions(task, names_in(region.text))
            room = MAX_CONTEXT_CHARS * 2 - sum(map(len, context))
            for snippet in extra:
                if len(snippet) <= room and snippet not in context:
                    context.append(snippet)
                    room -= len(snippet)
        except Exception:  # context is optional: never fail the action over it
            log.exception("definition lookup failed for %s", task.path)
    prompt, prefill = build_fix_prompt(task, region, context)
    first = _line_of(task.text, start) - region.first_line
    last = _line_of(task.text, end) - region.first_line
    return FixPlan(region, prompt, prefill, (max(0, first), max(0, last)), context)


# -- parsing the answer ---------------------------------------------------------------------------
def _looks_like_prose(text: str) -> bool:
    """Most lines are sentences (words and punctuation, no code structure)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return True
    prose = 0
    for ln in lines:
        words = ln.split()
        codeish = sum(ln.count(c) for c in "=(){}[];<>") + ("_" in ln)
        if len(words) >= 4 and codeish == 0 and re.match(r"^[\"'*\-\d.)\s]*[A-Z]", ln):
            prose += 1
    return prose * 2 >= len(lines)


def extract_code(answer: str, language_id: str, region_text: str = "") -> str:
    """The code of the model's answer: the fenced block most like the region (an unterminated block
    runs to the end: a partial answer), or the whole answer when it is unfenced code."""
    for special in SPECIAL_TEXTS:
        answer = answer.split(special, 1)[0]
    blocks = [(m.group(1).lower(), m.group(2)) for m in _FENCE_RE.finditer(answer)]
    want = _TAGS.get(language_id.lower(), language_id.lower())
    if blocks:
        if region_text:
            blocks.sort(
                key=lambda b: difflib.SequenceMatcher(
                    None, b[1], region_text, autojunk=False
                ).ratio(),
                reverse=True,
            )
        tag, code = blocks[0]
        got = _TAGS.get(tag)
        if got is not None and want in _TAGS.values() and got != want:
            raise FixRefused(
                "wrong_language", f"the model answered in {tag}, not in {language_id}; no edit made"
            )
    else:
        code = answer
    if not code.strip():
        raise FixRefused("no_code", "the model's answer contains no code; no edit made")
    if _looks_like_prose(code):
        raise FixRefused(
            "prose", "the model answered with an explanation instead of code; no edit made"
        )
    return code


# -- mapping the answer back onto the region ----------------------------------------------------
def _rebase_indentation(region_lines: list[str], code_lines: list[str]) -> list[str]:
    """Shift the answer's indentation to the region's: small models often dedent a method."""
    delta: int | None = None
    by_content = {ln.strip(): _indent(ln) for ln in region_lines if ln.strip()}
    for ln in code_lines:
        if ln.strip() and ln.strip() in by_content and len(ln.strip()) > 3:
            delta = by_content[ln.strip()] - _indent(ln)
            break
    if delta is None:
        old = [_indent(ln) for ln in region_lines if ln.strip()]
        new = [_indent(ln) for ln in code_lines if ln.strip()]
        delta = (min(old) - min(new)) if old and new else 0
    if delta == 0:
        return code_lines
    unit = "\t" if any(ln.startswith("\t") for ln in region_lines) else " "
    out = []
    for ln in code_lines:
        if not ln.strip():
            out.append(ln)
        elif delta > 0:
            out.append(unit * delta + ln)
        else:
            cut = min(-delta, _indent(ln))
            out.append(ln[cut:])
    return out


def _is_additions_only(old: str, new: str) -> bool:
    """`new` is `old` with characters added (annotations), nothing removed or changed."""
    it = iter(new)
    return all(ch in it for ch in old)


def map_answer(region_text: str, code: str, kind: ActionKind = "fix") -> str:
    """The region as the answer rewrites it.

    The answer may hold the region exactly, only part of it (a partial or truncated answer: the
    lines it does not show stay as they are), or more (the model echoed surrounding code or added
    usage examples: lines before the region and after its end are dropped). Lines are aligned with
    difflib; only what lies between the first and the last aligned line, plus trailing lines that
    stay inside the region's indentation, is taken from the answer.
    """
    eol = "\r\n" if "\r\n" in region_text else "\n"
    old = _lines(region_text.replace("\r\n", "\n"))
    new = _lines(code.replace("\r\n", "\n"))
    while new and not new[0].strip():
        new.pop(0)
    while new and not new[-1].strip():
        new.pop()
    new = [ln if ln.endswith("\n") else ln + "\n" for ln in new]
    new = _rebase_indentation(old, new)
    base = min((_indent(ln) for ln in old if ln.strip()), default=0)
    a = [ln.strip() for ln in old]
    b = [ln.strip() for ln in new]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    ops = sm.get_opcodes()
    equal = [i for i, op in enumerate(ops) if op[0] == "equal" and any(a[op[1] : op[2]])]
    if not equal:
        ratio = difflib.SequenceMatcher(None, "".join(old), "".join(new), autojunk=False).ratio()
        if len(old) <= 3 or ratio >= 0.5:
            out = new
        else:
            raise FixRefused("no_code", "the model's answer does not match the code; no edit made")
    else:
        lo, hi = equal[0], equal[-1]
        out = []
        for idx, (tag, i1, i2, j1, j2) in enumerate(ops):
            if idx < lo:  # before the first aligned line
                if tag == "delete":
                    out += old[i1:i2]  # not shown in a partial answer: unchanged
                elif tag == "replace":
                    # Pair the lines nearest the aligned part; extra leading answer lines are
                    # surrounding code the model echoed, extra old lines were not shown.
                    k = min(i2 - i1, j2 - j1)
                    out += old[i1 : i2 - k] + new[j2 - k : j2]
                elif kind == "docstring" and all(
                    _COMMENT_RE.match(x) or not x.strip() for x in new[j1:j2]
                ):
                    out += new[j1:j2]  # a doc comment above the function
                continue
            if idx > hi:  # after the last aligned line
                if tag == "delete":
                    out += old[i1:i2]
                    continue
                kept = _inside(new[j1:j2], base)
                out += kept
                if tag == "replace" and len(kept) < (i2 - i1):
                    out += old[i1 + len(kept) : i2]
                continue
            if tag == "equal":
                out += old[i1:i2]
            else:
                out += new[j1:j2]
    result = _restrict(kind, old, out)
    text = "".join(result).replace("\n", eol)
    if not region_text.endswith(("\n", "\r")):
        text = text.rstrip("\r\n")
    return text


def _inside(lines: list[str], base: int) -> list[str]:
    """Leading lines that stay inside the region's block: indented deeper than its first line, or
    closing brackets at its level; the first line that starts a new statement at that level ends it."""
    kept: list[str] = []
    for ln in lines:
        if not ln.strip():
            kept.append(ln)
            continue
        if _indent(ln) > base:
            kept.append(ln)
            continue
        if _CLOSERS_RE.match(ln):
            kept.append(ln)
        break
    while kept and not kept[-1].strip():
        kept.pop()
    return kept


def _restrict(kind: ActionKind, old: list[str], new: list[str]) -> list[str]:
    """For rewrites that must not change code, keep only the allowed kinds of change."""
    if kind not in ("docstring", "type_hints"):
        return new
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out += old[i1:i2]
        elif tag == "insert" and kind == "docstring":
            out += new[j1:j2]  # documentation only adds lines
        elif tag == "insert" and kind == "type_hints":
            imports = [x for x in new[j1:j2] if re.match(r"\s*(from \S+ )?import ", x)]
            out += imports
        elif tag == "replace" and kind == "type_hints" and i2 - i1 == j2 - j1:
            # Annotations only add characters to existing lines: take those lines, keep others.
            out += [
                n if _is_additions_only(o, n) else o
                for o, n in zip(old[i1:i2], new[j1:j2], strict=True)
            ]
        elif tag == "replace" and kind == "docstring":
            # The model documented and changed code at once: keep its doc lines, not its change.
            out += _doc_lines(new[j1:j2], old[i1:i2]) + old[i1:i2]
        else:
            out += old[i1:i2]
    return out


def _doc_lines(lines: list[str], old: list[str]) -> list[str]:
    """The leading comment or docstring lines of `lines` that are not in `old`."""
    out: list[str] = []
    in_doc = False
    for ln in lines:
        quotes = ln.count('"""') + ln.count("'''")
        if in_doc or _COMMENT_RE.match(ln):
            if ln not in old:
                out.append(ln)
            in_doc = in_doc != (quotes % 2 == 1)
            continue
        break
    return out


# -- the edit ------------------------------------------------------------------------------------
def diff_edits(region: Region, new_region: str) -> list[Edit]:
    """Line edits that turn the region into `new_region`: only the lines that differ are touched."""
    old = _lines(region.text)
    new = _lines(new_region)
    offsets = [region.start]
    for ln in old:
        offsets.append(offsets[-1] + len(ln))
    edits: list[Edit] = []
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            edits.append(Edit(offsets[i1], offsets[i2], "".join(new[j1:j2])))
    return edits


def _error_count(text: str, task: FixTask) -> int | None:
    lang = _language(task)
    if lang is None:
        return None
    from infilld.syntax import LoadedLanguage, parse

    assert isinstance(lang, LoadedLanguage)
    root = parse(text, lang).root_node
    if not root.has_error:
        return 0
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            count += 1
        if node.has_error:
            stack.extend(node.children)
    return count


def _is_python(task: FixTask) -> bool:
    return task.language_id == "python" or task.path.endswith((".py", ".pyi"))


def check_syntax(task: FixTask, new_text: str) -> None:
    """Refuse an edit that makes the document's syntax worse than it was."""
    before = _error_count(task.text, task)
    after = _error_count(new_text, task)
    if before is not None and after is not None and after > before:
        raise FixRefused(
            "syntax", "the model's change would break the syntax of the code; no edit made"
        )
    if _is_python(task):
        try:
            ast.parse(task.text)
        except (SyntaxError, ValueError):
            return  # it was broken before: the tree-sitter count decided
        try:
            ast.parse(new_text)
        except (SyntaxError, ValueError) as exc:
            raise FixRefused(
                "syntax",
                f"the model's change would not compile ({exc.__class__.__name__}: "
                f"{getattr(exc, 'msg', exc)}); no edit made",
            ) from exc


def check_version(expected: int | None, current: int | None) -> None:
    """A document edited since the action was computed must not receive the stale edit."""
    if expected is not None and current != expected:
        raise FixRefused(
            "stale",
            f"the document changed while the fix was computed (version {expected} -> {current}); "
            "no edit made, try the action again",
        )


def keep_scope_name(region_text: str, new_region: str, name: str) -> str:
    """Undo a changed line that drops the enclosing function's name (its header): small models
    sometimes rename the function after a callee shown in the context, which breaks every caller."""
    old = _lines(region_text)
    new = _lines(new_region)
    word = re.compile(rf"\b{re.escape(name)}\b")
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "replace" and i2 - i1 == j2 - j1:
            out += [
                o if word.search(o) and not word.search(n) else n
                for o, n in zip(old[i1:i2], new[j1:j2], strict=True)
            ]
        else:
            out += new[j1:j2]
    return "".join(out)


def finish_fix(task: FixTask, plan: FixPlan, answer: str) -> tuple[list[Edit], str]:
    """Parse the model's answer (the pre-fill included) into checked edits and the new region."""
    code = extract_code(answer, fence_name(task) or task.language_id, plan.region.text)
    new_region = map_answer(plan.region.text, code, task.kind)
    if plan.region.scope_name:
        new_region = keep_scope_name(plan.region.text, new_region, plan.region.scope_name)
    if new_region == plan.region.text or new_region.strip() == plan.region.text.strip():
        raise FixRefused("no_change", "the model's answer changes nothing; no edit made")
    edits = diff_edits(plan.region, new_region)
    if not edits:
        raise FixRefused("no_change", "the model's answer changes nothing; no edit made")
    check_syntax(task, apply_edits(task.text, edits))
    return edits, new_region


def converged(region_text: str, generated: str, target_last: int) -> bool:
    """True once the answer has changed something and then copied CONVERGED_LINES original lines
    past the target: the rest would only repeat the region, which the mapping keeps anyway."""
    if not generated.endswith("\n"):
        return False
    a = [ln.strip() for ln in _lines(region_text)]
    b = [ln.strip() for ln in _lines(generated)]
    if len(b) < CONVERGED_LINES + 1:
        return False
    if b[-1].startswith("```"):
        return False  # the block is closing anyway
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    ops = sm.get_opcodes()
    while ops and ops[-1][0] == "delete":
        ops.pop()  # the region lines not generated yet
    if not ops or ops[-1][0] != "equal":
        return False
    _tag, i1, i2, _j1, j2 = ops[-1]
    if j2 != len(b) or i2 - i1 < CONVERGED_LINES or i1 <= target_last:
        return False
    if sum(1 for x in a[i2 - CONVERGED_LINES : i2] if x) < 2:
        return False
    return any(op[0] != "equal" for op in ops[:-1])


class FixEngine:
    """Runs fix/rewrite tasks on the backend. Used from the asyncio event loop."""

    def __init__(
        self,
        backend: Backend,
        *,
        timeout_ms: int = 120_000,
        max_tokens: int = 1024,
        max_region_lines: int = MAX_REGION_LINES,
        context_length: int = 4096,
        definitions: DefinitionProvider | None = None,
    ) -> None:
        self.backend = backend
        self.timeout_ms = timeout_ms
        self.max_tokens = max_tokens
        self.max_region_lines = max_region_lines
        self.context_length = context_length
        self.definitions = definitions

    async def compute(self, task: FixTask) -> FixResult:
        """The checked edits for a task. Cancelling the awaiting task stops the model at the next
        token. Raises FixRefused when there is no edit worth offering."""
        start = time.monotonic()
        plan = await asyncio.to_thread(plan_fix, task, self.definitions, self.max_region_lines)
        region_tokens = self.backend.count_tokens(plan.region.text)
        max_tokens = min(self.max_tokens, int(region_tokens * 1.5) + 64)
        prompt_tokens = sum(self.backend.count_tokens(p) for p in plan.prompt if isinstance(p, str))
        if prompt_tokens + max_tokens + 32 > self.context_length:
            raise FixRefused(
                "too_large",
                f"the code around the problem is too large for the model's context "
                f"({prompt_tokens} + {max_tokens} tokens > {self.context_length})",
            )
        cancel = CancelEvent()
        target_last = plan.target_lines[1]
        region_text = plan.region.text
        check_convergence = task.kind in ("fix", "fix_selection", "docstring")
        seen_lines = [0]

        def should_stop(text: str) -> bool:
            if "\n```" in text or text.startswith("```"):
                return True
            if not check_convergence or not text.endswith("\n"):
                return False
            n = text.count("\n")
            if n == seen_lines[0]:
                return False
            seen_lines[0] = n
            return converged(region_text, text, target_last)

        gen = GenerationRequest(
            prompt=plan.prompt,
            max_tokens=max_tokens,
            temperature=0.0,
            deadline=start + self.timeout_ms / 1000,
            cancel=cancel,
            should_stop=should_stop,
        )
        result = await run_generation(self.backend, gen)
        if result.stop_reason is StopReason.CANCELLED:
            raise FixRefused("cancelled", "the fix was cancelled")
        answer = plan.prefill + result.text
        log.info(
            "fix %s %s lines %d-%d: %.0f ms prompt=%d generated=%d stop=%s",
            task.kind, task.path, plan.region.first_line + 1,
            plan.region.first_line + plan.region.text.count("\n"),
            (time.monotonic() - start) * 1000, result.prompt_tokens, result.generated_tokens,
            result.stop_reason.value,
        )  # fmt: skip
        log.debug("fix answer: %r", answer)
        try:
            edits, new_region = await asyncio.to_thread(finish_fix, task, plan, answer)
        except FixRefused as exc:
            if result.stop_reason is StopReason.DEADLINE and exc.kind in ("no_change", "no_code"):
                raise FixRefused(
                    "timeout",
                    f"the model did not finish within {self.timeout_ms / 1000:.0f} s; no edit made",
                ) from exc
            raise
        return FixResult(
            edits=edits,
            version=task.version,
            region=plan.region,
            new_region=new_region,
            answer=answer,
            latency_ms=(time.monotonic() - start) * 1000,
            prompt_tokens=result.prompt_tokens,
            generated_tokens=result.generated_tokens,
            stop_reason=result.stop_reason.value,
        )
