"""Token healing: which tokens may start a generation whose prompt's last token was taken back.

The cursor often sits inside what the model would emit as one token (`    ` before `if`, `lin`
before `e_discount`). The backend drops the prompt's last token and lets only tokens consistent
with its text start the generation, so the model picks the natural tokenization.

Indentation needs its own rule. Qwen's tokenizer joins the last blank of a run to the word or
punctuation after it (31 spaces, then ` Voice`); before a digit that blank is a token of its own
(31 spaces, ` `, `9`). Spelling 32 spaces again token by token is not natural: the 0.5B model
wrote 27, then ` ` after ` ` until its token limit, and the suggestion was empty (openai-agents
voice/result.py, inside a call's parentheses), or it wrote `  SummarizeAdapter` two spaces too deep
(@tanstack/ai). So for a fragment of only spaces and tabs the prompt keeps all of it but the last
blank; the first token is that blank, alone or followed by something other than a blank; and
after it alone the next token may not start with a blank.
"""

from __future__ import annotations

from collections.abc import Iterable

BLANKS = b" \t"


def is_indentation(fragment: bytes) -> bool:
    """True for a fragment of only spaces and tabs (the cursor is where code starts)."""
    return bool(fragment) and not fragment.strip(BLANKS)


class TokenHealer:
    """The vocabulary indexed for healing: token texts grouped by their first byte."""

    def __init__(self, pieces: Iterable[tuple[int, bytes]]) -> None:
        self._by_first_byte: dict[int, list[tuple[int, bytes]]] = {}
        for tid, piece in pieces:
            if piece:
                self._by_first_byte.setdefault(piece[0], []).append((tid, piece))
        self._blank_starts = sorted(
            tid for b in BLANKS for tid, _ in self._by_first_byte.get(b, ())
        )

    def allowed(self, remaining: bytes, *, code_next: bool = False) -> list[int]:
        """Tokens that go on spelling `remaining`: they start it, or it starts them. With
        `code_next` (the last blank of the indentation): the blank alone, or the blank followed by
        something other than a blank."""
        n = len(remaining)
        group = self._by_first_byte.get(remaining[0], ())
        if code_next:
            return [
                tid
                for tid, piece in group
                if piece == remaining
                or (len(piece) > n and piece.startswith(remaining) and piece[n] not in BLANKS)
            ]
        return [
            tid
            for tid, piece in group
            if piece.startswith(remaining) or remaining.startswith(piece)
        ]

    def blank_starts(self) -> list[int]:
        """Tokens whose text starts with a space or a tab (not allowed right after indentation)."""
        return self._blank_starts
