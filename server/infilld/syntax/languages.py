"""The language table (grammars/languages.toml) and the compiled tree-sitter queries per language.

Grammar wheels are imported lazily and only once; a language whose wheel is missing or whose
queries fail to compile is logged and treated as "no grammar", so callers fall back to file-level
completion instead of failing.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import re
import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from tree_sitter import Language, Query

from infilld.resources import data_path

log = logging.getLogger(__name__)

QUERY_KINDS = ("definitions", "imports", "references")
INHERITS = "; inherits:"  # a query file's first line: other folders whose patterns it extends


@dataclass(frozen=True)
class LanguageSpec:
    """One row of languages.toml: how to recognise a language and where its grammar lives."""

    id: str
    extensions: tuple[str, ...]
    module: str
    attribute: str
    line_comment: str
    queries_dir: str
    aliases: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    # Files with one of these suffixes are this language, not the suffix's own, when their text
    # matches `content_pattern` (a C++ header named `.h`).
    content_extensions: tuple[str, ...] = ()
    content_pattern: re.Pattern[str] | None = None


# How much of a file's text content_pattern looks at: a header's first class or namespace comes
# after its licence and includes, well within this. It runs on every model request in a `.h` file
# (the comment check): 100,000 characters cost 2.4 ms on a 185 KB C header that never matches,
# and 32,000 classify the same as 100,000 on all but 1 of 7,692 headers (abseil, RE2,
# /usr/include).
CONTENT_SNIFF_CHARS = 32_000


@dataclass(frozen=True)
class LoadedLanguage:
    """A language whose grammar imported and whose queries compiled."""

    spec: LanguageSpec
    language: Language
    queries: Mapping[str, Query] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def line_comment(self) -> str:
        return self.spec.line_comment


class LanguageTable:
    """Maps paths and LSP language ids to languages; loads grammars on first use (thread-safe)."""

    def __init__(self, grammars_dir: Path) -> None:
        self.grammars_dir = grammars_dir
        self.specs = _read_table(grammars_dir / "languages.toml")
        self._by_ext: dict[str, LanguageSpec] = {}
        self._by_id: dict[str, LanguageSpec] = {}
        self._by_name: dict[str, LanguageSpec] = {}
        self._by_content: dict[str, list[LanguageSpec]] = {}
        for spec in self.specs:
            self._by_id[spec.id] = spec
            for alias in spec.aliases:
                self._by_id.setdefault(alias, spec)
            for ext in spec.extensions:
                self._by_ext.setdefault(ext.lower(), spec)
            for name in spec.filenames:
                self._by_name.setdefault(name, spec)
            if spec.content_pattern is not None:
                for ext in spec.content_extensions:
                    self._by_content.setdefault(ext.lower(), []).append(spec)
        self._loaded: dict[str, LoadedLanguage | None] = {}
        self._lock = threading.Lock()

    @functools.cached_property
    def fingerprint(self) -> str:
        """A hash of the table and every query file: cached parse results depend on all of them."""
        h = hashlib.blake2b(digest_size=16)
        for path in sorted(self.grammars_dir.rglob("*")):
            if path.is_file() and path.suffix in {".toml", ".scm"}:
                h.update(path.relative_to(self.grammars_dir).as_posix().encode())
                h.update(path.read_bytes())
        return h.hexdigest()

    @property
    def extensions(self) -> frozenset[str]:
        return frozenset(self._by_ext)

    def spec_for_path(self, path: PurePath) -> LanguageSpec | None:
        """The table row for a file name, without importing its grammar."""
        spec = self._by_name.get(path.name)
        if spec is not None:
            return spec
        return self._by_ext.get(path.suffix.lower())

    def for_path(self, path: PurePath) -> LoadedLanguage | None:
        spec = self.spec_for_path(path)
        return self.load(spec.id) if spec is not None else None

    def spec_for_source(self, path: PurePath, text: str) -> LanguageSpec | None:
        """The table row for a file whose text is known: as spec_for_path, except that a suffix
        two languages share (`.h`: C, or a C++ header) goes by what the text looks like."""
        for spec in self._by_content.get(path.suffix.lower(), ()):
            assert spec.content_pattern is not None  # only such specs are in _by_content
            if spec.content_pattern.search(text, 0, CONTENT_SNIFF_CHARS):
                return spec
        return self.spec_for_path(path)

    def for_source(self, path: PurePath, text: str) -> LoadedLanguage | None:
        spec = self.spec_for_source(path, text)
        return self.load(spec.id) if spec is not None else None

    def for_id(self, lsp_language_id: str) -> LoadedLanguage | None:
        spec = self._by_id.get(lsp_language_id)
        return self.load(spec.id) if spec is not None else None

    def load(self, language_id: str) -> LoadedLanguage | None:
        """The grammar and queries for a table key; None when unavailable (logged once)."""
        with self._lock:
            if language_id in self._loaded:
                return self._loaded[language_id]
            spec = self._by_id.get(language_id)
            loaded = self._load_spec(spec) if spec is not None else None
            self._loaded[language_id] = loaded
            return loaded

    def _load_spec(self, spec: LanguageSpec) -> LoadedLanguage | None:
        try:
            module = importlib.import_module(spec.module)
            factory: Callable[[], object] = getattr(module, spec.attribute)
            language = Language(factory())
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            log.warning("no grammar for %s (%s.%s): %s", spec.id, spec.module, spec.attribute, exc)
            return None
        queries: dict[str, Query] = {}
        for kind in QUERY_KINDS:
            path = self.grammars_dir / "queries" / spec.queries_dir / f"{kind}.scm"
            try:
                queries[kind] = Query(language, self._query_source(spec.queries_dir, kind))
            except OSError:
                log.debug("no %s query for %s", kind, spec.id)
            except Exception as exc:  # QueryError: a broken data file must not break the daemon
                log.warning("query %s does not compile for %s: %s", path, spec.id, exc)
        return LoadedLanguage(spec=spec, language=language, queries=queries)

    def _query_source(self, queries_dir: str, kind: str, seen: tuple[str, ...] = ()) -> str:
        """A query file's text, after the text of the folders its first line names with
        `; inherits: c` (a grammar that extends another, as C++ does C, shares its patterns;
        they come first, so on a node both match, the inherited pattern's kind stands)."""
        if queries_dir in seen:
            raise ValueError(f"queries inherit in a cycle: {' -> '.join((*seen, queries_dir))}")
        text = (self.grammars_dir / "queries" / queries_dir / f"{kind}.scm").read_text(
            encoding="utf-8"
        )
        first = text.split("\n", 1)[0]
        if not first.startswith(INHERITS):
            return text
        parents = [p.strip() for p in first.removeprefix(INHERITS).split(",") if p.strip()]
        inherited = [self._query_source(p, kind, (*seen, queries_dir)) for p in parents]
        return "\n".join([*inherited, text])


def _read_table(path: Path) -> tuple[LanguageSpec, ...]:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    specs: list[LanguageSpec] = []
    for key, row in raw.items():
        if not isinstance(row, dict):
            continue
        try:
            specs.append(
                LanguageSpec(
                    id=key,
                    extensions=tuple(str(e).lower() for e in row.get("extensions", ())),
                    module=str(row["module"]),
                    attribute=str(row.get("attribute", "language")),
                    line_comment=str(row.get("line_comment", "//")),
                    queries_dir=str(row.get("queries", key)),
                    aliases=tuple(str(a) for a in row.get("aliases", ())),
                    filenames=tuple(str(n) for n in row.get("filenames", ())),
                    content_extensions=tuple(
                        str(e).lower() for e in row.get("content_extensions", ())
                    ),
                    content_pattern=(
                        re.compile(str(row["content_pattern"]), re.MULTILINE)
                        if "content_pattern" in row
                        else None
                    ),
                )
            )
        except KeyError as exc:
            log.warning("languages.toml: [%s] lacks %s; skipped", key, exc)
        except re.error as exc:
            log.warning("languages.toml: [%s] content_pattern does not compile: %s", key, exc)
    return tuple(specs)


_default: LanguageTable | None = None
_default_lock = threading.Lock()


def default_table() -> LanguageTable:
    """The table from the installed grammars/ folder, read once per process."""
    global _default
    with _default_lock:
        if _default is None:
            _default = LanguageTable(data_path("grammars"))
        return _default


def language_for_path(path: PurePath | str) -> LoadedLanguage | None:
    """The language of a file by its name, or None (no grammar: use file-level completion)."""
    return default_table().for_path(PurePath(path))


def language_for_source(path: PurePath | str, text: str) -> LoadedLanguage | None:
    """The language of a file by its name and, where its suffix is shared (`.h`), its text."""
    return default_table().for_source(PurePath(path), text)


# Languages whose code can call each other's definitions (or look alike enough to learn from).
_FAMILIES = {
    "typescript": "js", "typescriptreact": "js", "javascript": "js", "javascriptreact": "js",
    "c": "c", "cpp": "c",
}  # fmt: skip


def language_family(path: PurePath | str) -> str:
    """The family of a file's language ("" without a grammar): languages whose code can call
    each other's definitions share one."""
    # Index paths are POSIX strings: no PurePath to build for them.
    return _family_of_name(path.name if isinstance(path, PurePath) else path.rpartition("/")[2])


@functools.lru_cache(maxsize=32768)
def _family_of_name(name: str) -> str:
    # Cached by file name: context selection asks for every path of a workspace (13,751 calls,
    # two thirds of a near-code query's time, on a Python installation's tree).
    language = language_for_path(name)
    if language is None:
        return ""
    return _FAMILIES.get(language.id, language.id)


def language_for_id(lsp_language_id: str) -> LoadedLanguage | None:
    """The language for an LSP `languageId` (e.g. "typescriptreact"), or None."""
    return default_table().for_id(lsp_language_id)
