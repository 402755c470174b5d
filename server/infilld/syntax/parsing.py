"""Parse source text into tree-sitter trees, with a small cache keyed by content.

The completion engine asks for the tree of the same buffer many times per second (every
keystroke re-enters with nearly the same text, and the index parses the same file too); hashing
the bytes is far cheaper than parsing, so identical content is parsed once. tree-sitter parsers
are not thread-safe, so each thread gets its own parser per language.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from tree_sitter import Parser, Tree

from infilld.syntax.languages import LoadedLanguage


class TreeCache:
    """An LRU of parsed trees keyed by (language, content digest); safe to share between threads."""

    # Every keystroke makes new content, so older entries are dead weight: a request parses the
    # same buffer a few times (context, single/multi-line, post-processing) and the user moves
    # between a few files. A 600-line file's tree is ~0.6 MB: 32 entries grew the server by
    # ~12 MB over 15 minutes of a replayed session before the LRU was full.
    def __init__(self, max_entries: int = 8) -> None:
        self.max_entries = max_entries
        self._trees: OrderedDict[tuple[str, bytes], Tree] = OrderedDict()
        self._lock = threading.Lock()
        self._local = threading.local()
        self.parses = 0  # how many real parses ran (tests use it to prove cache hits)

    def parse(self, source: bytes | str, language: LoadedLanguage) -> Tree:
        data = source.encode("utf-8", errors="replace") if isinstance(source, str) else source
        key = (language.id, hashlib.blake2b(data, digest_size=16).digest())
        with self._lock:
            tree = self._trees.get(key)
            if tree is not None:
                self._trees.move_to_end(key)
                return tree
        # Parse outside the lock: a large file must not stall other threads' cache hits.
        tree = self._parser(language).parse(data)
        with self._lock:
            self.parses += 1
            self._trees[key] = tree
            self._trees.move_to_end(key)
            while len(self._trees) > self.max_entries:
                self._trees.popitem(last=False)
        return tree

    def _parser(self, language: LoadedLanguage) -> Parser:
        parsers: dict[str, Parser] | None = getattr(self._local, "parsers", None)
        if parsers is None:
            parsers = {}
            self._local.parsers = parsers
        parser = parsers.get(language.id)
        if parser is None:
            parser = Parser(language.language)
            parsers[language.id] = parser
        return parser


_shared = TreeCache()


def parse(source: bytes | str, language: LoadedLanguage) -> Tree:
    """The tree for `source` (text is encoded as UTF-8), from the process-wide cache."""
    return _shared.parse(source, language)


def shared_tree_cache() -> TreeCache:
    return _shared
