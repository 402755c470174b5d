"""Scores for one line-completion answer against the truth (all on whitespace-trimmed first lines).

- exact: the suggestion's first line equals the truth.
- edit similarity: difflib's ratio, 2*matches/(len(a)+len(b)), in [0, 1].
- identifier F1: precision/recall of the identifiers (keywords left out, repeats counted) in the
  suggestion's first line against the truth's.
- first identifier: the first identifier of the suggestion is the truth's first identifier, i.e.
  the model named the cross-file symbol the task was built around.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections import Counter

import msgspec

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
# Keywords carry no repository knowledge; leave them out of the identifier scores.
_KEYWORDS = frozenset(keyword.kwlist) | frozenset(
    [
        "abstract",
        "as",
        "async",
        "await",
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "from",
        "function",
        "get",
        "if",
        "implements",
        "import",
        "in",
        "instanceof",
        "interface",
        "keyof",
        "let",
        "new",
        "null",
        "of",
        "private",
        "protected",
        "public",
        "readonly",
        "return",
        "set",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "type",
        "typeof",
        "undefined",
        "var",
        "void",
        "while",
        "with",
        "yield",
    ]
)


class Score(msgspec.Struct, frozen=True):
    exact: bool
    edit_similarity: float
    identifier_f1: float
    first_identifier: bool


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip()


def identifiers(text: str) -> list[str]:
    return [m.group() for m in _IDENTIFIER.finditer(text) if m.group() not in _KEYWORDS]


def edit_similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def identifier_f1(predicted: list[str], truth: list[str]) -> float:
    if not predicted and not truth:
        return 1.0
    if not predicted or not truth:
        return 0.0
    common = sum((Counter(predicted) & Counter(truth)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def score(suggestion: str, truth: str) -> Score:
    """Score a suggestion (possibly multi-line; only its first line counts) against the truth."""
    got, want = first_line(suggestion), first_line(truth)
    got_ids, want_ids = identifiers(got), identifiers(want)
    return Score(
        exact=got == want,
        edit_similarity=edit_similarity(got, want),
        identifier_f1=identifier_f1(got_ids, want_ids),
        first_identifier=bool(got_ids) and bool(want_ids) and got_ids[0] == want_ids[0],
    )


__all__ = ["Score", "edit_similarity", "first_line", "identifier_f1", "identifiers", "score"]
