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
from typing import Any

BLANKS = b" \t"
# Fragments whose allowed tokens are kept: a request at an indented cursor asks for ` ` (50,000
# tokens start with a space; a scan takes about 8 ms), and a completion session meets few others.
MAX_MEMO = 4096


def is_indentation(fragment: bytes) -> bool:
    """True for a fragment of only spaces and tabs (the cursor is where code starts)."""
    return bool(fragment) and not fragment.strip(BLANKS)


class TokenHealer:
    """The vocabulary indexed for healing: token texts grouped by their first byte. Token lists
    are numpy arrays of ids (numpy comes with llama-cpp-python; imported when a healer is built,
    which is when the model loads)."""

    def __init__(self, pieces: Iterable[tuple[int, bytes]]) -> None:
        import numpy as np

        self._np = np
        self._by_first_byte: dict[int, list[tuple[int, bytes]]] = {}
        for tid, piece in pieces:
            if piece:
                self._by_first_byte.setdefault(piece[0], []).append((tid, piece))
        self._blank_starts = self._ids(
            sorted(tid for b in BLANKS for tid, _ in self._by_first_byte.get(b, ()))
        )
        self._memo: dict[tuple[bytes, bool], Any] = {}

    def _ids(self, ids: list[int]) -> Any:
        return self._np.array(ids, dtype=self._np.intc)

    def allowed(self, remaining: bytes, *, code_next: bool = False) -> Any:
        """Ids of the tokens that go on spelling `remaining`: they start it, or it starts them.
        With `code_next` (the last blank of the indentation): the blank alone, or the blank
        followed by something other than a blank."""
        key = (remaining, code_next)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= MAX_MEMO:
                self._memo.clear()
            found = self._memo[key] = self._ids(self._scan(remaining, code_next))
        return found

    def _scan(self, remaining: bytes, code_next: bool) -> list[int]:
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

    def blank_starts(self) -> Any:
        """Ids of the tokens whose text starts with a space or a tab (not allowed right after
        indentation)."""
        return self._blank_starts
