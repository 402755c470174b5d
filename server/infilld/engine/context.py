"""Choose repository context for a completion: snippets of other files that fit a token budget.

Candidates, best first: definitions of names the current file uses (signature and doc, the whole
body when it is short), the public API of the modules it imports (stubs, never bodies), regions
the user recently edited or viewed, and chunks of sibling files that share the most identifiers
with it. The output is sorted by (path, position), not by score, and the candidates come from the
whole file, so moving the cursor leaves the block byte-identical and the KV cache keeps it. Names
near the cursor may only add snippets with budget the file-level choice left over.

With `near_code`, windows most like the lines above the cursor come first, from other files and
from parts of the current one the prompt does not show (engine/near_code.py). On the quality
benchmark, selected at each cursor, they lifted exact match from 1.09x to 1.29x no context. They
tie the block to the cursor's region, and a new block costs a re-evaluation of the prompt after
it, so the server switches blocks in the background (repo_context.py's follow and adopt), not
as a cost to a request.

Before all of these, when the cursor's line calls into an object (`bridge.`, `$input->`), come the
member signatures of the object's declared type (engine/receivers.py), in at most a third of the
budget: on the other languages' tasks they won 4 and lost none of 300, where the model had guessed
a plausible member (`isLogEnabled` for `isLoggingEnabled`). A module the file imports as a whole
(`_json.` after `from .util import _json`, `fmt.` after `import * as fmt`) is such a receiver too:
its public API comes first, in the same share.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, cast

from infilld.config import CompletionSettings
from infilld.engine.near_code import near_windows, query_identifiers
from infilld.engine.prompt import Snippet
from infilld.engine.receivers import (
    RustImpl,
    base_names,
    calls_own_member,
    php_trait_names,
    rank_members,
    receiver_types,
    receivers_near,
    rust_impl_blocks,
    words,
)
from infilld.index import Symbol, WorkspaceIndex
from infilld.index.model import ImportSpec
from infilld.syntax import (
    Definition,
    ImportRef,
    char_to_byte,
    enclosing_scopes,
    identifiers_near,
    language_family,
    language_for_path,
    language_for_source,
    parse,
)
from infilld.syntax import definitions as extract_definitions
from infilld.syntax import imports as extract_imports
from infilld.syntax import references as extract_references

# Scores: only their order matters. Code like the lines above the cursor comes first (it is what
# the model uses best; see engine/near_code.py), then definitions of names the file uses, then the
# rest of an imported module's API, then recent regions, then lexical look-alikes.
_SCORE_NEAR_CODE = 20.0  # + similarity: above every definition bonus combined
_SCORE_RECEIVER = 30.0  # the members of the types the cursor's code calls into: before all else
_RECEIVER_SHARE = 3  # ... but at most a third of the budget
_MAX_MODULE_RECEIVERS = 2  # modules on the cursor's line whose API comes first (`_json.`)
TYPE_KINDS = frozenset({"class", "interface", "type", "enum"})  # kinds that have members and bases
_PARTIAL = re.compile(r"\bpartial\b")
_RECEIVER_CONTEXT_LINES = 3  # lines above the cursor whose words rank a type's members
_PRIVATE = re.compile(r"\bprivate\b")  # Java, C#, PHP, TS: not callable from another class
_CSHARP_ACCESS = re.compile(r"\b(?:public|internal|protected)\b")
_GO_RECEIVER = re.compile(r"func\s*\(\s*\w*\s*\*?\s*(\w+)")
# Decorators that change how a member is used: `result.last_agent`, not `result.last_agent()`
# (`@property`, `@functools.cached_property`, `@computed_field`'s `@property`), or called on the
# class (`@classmethod`, `@staticmethod`). A member's stub line keeps them; others (`@override`,
# `@abc.abstractmethod`, `@Override`) say nothing about the call and are left out.
_ACCESS_DECORATOR = re.compile(r"\s*@(?:\w+\.)*(?:\w*property|classmethod|staticmethod)\s*$")
# Decorators that make a class's constructor from its fields: `Span(name=..., kind=...)`, which
# the fields listed under a bare `class Span:` do not say. A type's stub header keeps them.
_CONSTRUCTION_DECORATOR = re.compile(
    r"\s*@(?:\w+\.)*(?:dataclass|define|frozen|mutable|attrs|attr\.s)\s*(?:\(.*\))?\s*$"
)
_SCORE_USED_DEFINITION = 6.0
_SCORE_USED_IN_IMPORT = 2.0  # bonus: the definition lives in a module the file imports
_SCORE_IMPORTED_BY_NAME = 1.0  # bonus: ... and the file imports the name itself
_SCORE_NOT_USED_YET = 2.0  # bonus: ... but uses it nowhere else yet
_SCORE_API = 3.0
_SCORE_RECENT = 2.5
_SCORE_SIMILAR = 1.0
_MAX_DEFINITIONS_PER_NAME = 3  # more than this and the name is too generic to guess from
_MAX_SIBLINGS = 8
_CHUNK_LINES = 30
_MAX_CHUNKS = 3
_MIN_JACCARD = 0.15
_MAX_RECENT_LINES = 40
_MAX_SIBLING_BYTES = 200_000
# Lines before and after the cursor that completion prompts show (completion.prefixLines and
# suffixLines): near code leaves the current file's windows within them out.
PROMPT_LINES = CompletionSettings().prompt_lines
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_MAX_FUNCTION_BODY_LINES = 8  # longer functions are shown as signature and doc
_MAX_API_FILES = 100  # imported files whose API is offered (Go's largest package import: 79)


# Text from one other file; `path` is relative to the workspace root, POSIX separators. The
# prompt layout renders these, so both modules share the one type.
ContextSnippet = Snippet


@dataclass(frozen=True)
class _Piece:
    rel: str
    start_line: int
    end_line: int
    text: str
    score: float
    raw: bool  # a verbatim region (recent edit, similar chunk) rather than a symbol stub
    # A class stub lists its members as (start_line, end_line, stub); a member chosen on its own
    # is shown in place of its stub instead of twice.
    members: tuple[tuple[int, int, str], ...] = ()
    closing: str = ""
    # A signature-and-doc stub's last line in its file (Symbol.stub_end_line); None where unknown.
    stub_end: int | None = None

    def render(self, chosen: dict[tuple[int, int], _Piece]) -> str:
        if not self.members:
            return self.text.rstrip()
        parts = [self.text.rstrip()]
        for start, end, stub in self.members:
            own = chosen.get((start, end))
            parts.append(own.text.rstrip() if own is not None else stub)
        if self.closing:
            parts.append(self.closing)
        return "\n".join(parts)


def _ids(text: str) -> set[str]:
    return {m.group() for m in _IDENTIFIER.finditer(text) if len(m.group()) > 1}


class _Selector:
    def __init__(
        self,
        index: WorkspaceIndex,
        path: Path,
        text: str,
        offset: int,
        count_tokens: Callable[[str], int],
    ) -> None:
        self.index = index
        self.path = path
        self.text = text
        self.offset = offset
        self.count_tokens = count_tokens
        self.current = index.relpath(path)
        self.language = language_for_source(path, text)
        self._file_lines: dict[str, list[str]] = {}
        self._symbols: dict[str, list[Symbol]] = {}
        self._constructors: dict[Symbol, bool] = {}
        self.tree = parse(text, self.language) if self.language is not None else None
        self.family = language_family(path)

    # ---------------------------------------------------------------- facts about this file

    def file_identifiers(self) -> Counter[str]:
        if self.tree is not None and self.language is not None:
            return Counter(extract_references(self.tree, self.language))
        return Counter(m.group() for m in _IDENTIFIER.finditer(self.text))

    @cached_property
    def local_definitions(self) -> list[Definition]:
        if self.tree is None or self.language is None:
            return []
        source = self.text.encode("utf-8", errors="replace")
        return extract_definitions(self.tree, self.language, source)

    def local_names(self) -> set[str]:
        return {d.name for d in self.local_definitions}

    @cached_property
    def import_refs(self) -> list[ImportRef]:
        if self.tree is None or self.language is None:
            return []
        return extract_imports(self.tree, self.language)

    @cached_property
    def import_names(self) -> Counter[str]:
        """Names this file imports by name (`from m import a`, `import { a } from`), with how
        often each appears in its import statements."""
        return Counter(n for r in self.import_refs for n in r.names)

    def imported_files(self) -> list[str]:
        if self.tree is not None and self.language is not None:
            refs = self.import_refs
            specs = [ImportSpec(r.source, r.names, r.line, r.kind) for r in refs]
            paths = self.index.resolve(self.path, self.language.id, specs)
        else:
            paths = self.index.imports_of(self.path)
        rels = [self.index.relpath(p) for p in paths]
        return [r for r in rels if r is not None and r != self.current]

    def package_files(self) -> list[str]:
        """The other files whose names this file sees without imports (its Go or Java package,
        its C# namespace): a name they define counts as imported, though their API is not
        offered."""
        rels = [self.index.relpath(p) for p in self.index.package_files(self.path)]
        return [r for r in rels if r is not None]

    def near_identifiers(self) -> list[str]:
        names = identifiers_near(self.text, self.offset)
        if self.tree is not None and self.language is not None:
            scopes = enclosing_scopes(self.tree, char_to_byte(self.text, self.offset))
            if scopes:
                inner = scopes[-1]
                refs = extract_references(
                    self.tree, self.language, inner.start_byte, inner.end_byte
                )
                names.extend(n for n in refs if n not in names)
        return names

    # ---------------------------------------------------------------- other files

    def symbols(self, rel: str) -> list[Symbol]:
        if rel not in self._symbols:
            self._symbols[rel] = self.index.file_symbols(self.index.abspath(rel))
        return self._symbols[rel]

    def lines(self, rel: str) -> list[str]:
        if rel not in self._file_lines:
            text = self.index.read_text(self.index.abspath(rel))
            self._file_lines[rel] = text.splitlines() if text is not None else []
        return self._file_lines[rel]

    def piece_for(self, sym: Symbol, score: float, *, allow_body: bool) -> _Piece:
        """A symbol as context: short bodies whole (classes too: their fields are their API),
        longer classes as a stub of header, doc and member signatures, the rest as stubs."""
        if sym.kind in {"class", "interface", "module"}:
            members = tuple(
                (m.start_line, m.end_line, m.stub())
                for m in self.symbols(sym.path)
                if m.container == sym.name
                and sym.start_line < m.start_line <= sym.end_line
                and m.is_public
            )
            if sym.body and (allow_body or not members):
                return _Piece(sym.path, sym.start_line, sym.end_line, sym.body, score, raw=False)
            lines = self.lines(sym.path)
            header, closing = sym.stub(), ""
            if members:
                header, closing = _shell(sym, header, lines)
            return _Piece(
                sym.path, sym.start_line, sym.end_line, header, score, False, members, closing
            )
        short = sym.end_line - sym.start_line < _MAX_FUNCTION_BODY_LINES
        if allow_body and sym.body and short:
            return _Piece(
                sym.path, sym.start_line, sym.end_line, sym.body.rstrip(), score, raw=False
            )
        return _Piece(
            sym.path, sym.start_line, sym.end_line, sym.stub(), score, raw=False,
            stub_end=sym.stub_end_line(),
        )  # fmt: skip

    # ---------------------------------------------------------------- candidates

    def used_definitions(
        self, used: Counter[str], local: set[str], imported_set: set[str]
    ) -> list[_Piece]:
        pieces: list[_Piece] = []
        for name, count in sorted(used.items()):
            if name in local or len(name) < 2:
                continue
            defs = _plausible(
                self.index.definitions(name), self.current, imported_set, used, self.family
            )
            by_name = self.import_names.get(name, 0)
            for sym in defs:
                score = _SCORE_USED_DEFINITION + min(count, 5) * 0.2
                if sym.path in imported_set:
                    score += _SCORE_USED_IN_IMPORT
                    if by_name:
                        score += _SCORE_IMPORTED_BY_NAME
                        if count <= by_name:
                            # Imported and not used yet: the code being written is about to use
                            # it, and nothing in this file shows how.
                            score += _SCORE_NOT_USED_YET
                pieces.append(self.piece_for(sym, score, allow_body=True))
        return pieces

    def imported_api(self, imported: list[str], used: Counter[str]) -> list[_Piece]:
        pieces: list[_Piece] = []
        # A namespace or package import can bring thousands of files; the names this file uses
        # from any of them come from used_definitions, so the rest of the API past the first
        # files is noise, and reading them all costs a selection 100+ ms.
        for order, rel in enumerate(imported[:_MAX_API_FILES]):
            for sym in self.symbols(rel):
                if sym.container or not sym.is_public or sym.kind == "namespace":
                    continue  # members appear inside their class's stub
                if rel.endswith(".rs") and not _rust_visible(sym):
                    continue  # private to its module: another file cannot name it
                score = _SCORE_API - order * 0.01 + (1.0 if sym.name in used else 0.0)
                pieces.append(self.piece_for(sym, score, allow_body=False))
        return pieces

    def recent_regions(self, recent: Sequence[tuple[Path, str]]) -> list[_Piece]:
        pieces: list[_Piece] = []
        for order, (rpath, region) in enumerate(recent):
            rel = self.index.relpath(rpath)
            if rel is None or rel == self.current or not region.strip():
                continue
            lines = region.splitlines()[:_MAX_RECENT_LINES]
            snippet = "\n".join(lines)
            start = self._locate(rel, lines[0]) if lines else 0
            pieces.append(
                _Piece(
                    rel,
                    start,
                    start + len(lines) - 1,
                    snippet,
                    _SCORE_RECENT - order * 0.05,
                    raw=True,
                )
            )
        return pieces

    def _locate(self, rel: str, first_line: str) -> int:
        """Where a region starts in its file, so it sorts by position; end of file if unknown."""
        lines = self.lines(rel)
        for number, line in enumerate(lines):
            if line == first_line:
                return number
        return len(lines)

    def receiver_members(
        self,
        budget_tokens: int,
        receivers: Sequence[str] | None = None,
        modules: Sequence[str] | None = None,
    ) -> list[_Piece]:
        """For the receivers the cursor's code calls members of (`bridge.`), their declared
        types' member signatures, then imported modules' APIs (`_json.`), the most relevant
        first, within a share of the budget. `receivers` and `modules`: those types and module
        files, when the caller has found them (cursor_receivers, cursor_modules)."""
        share = budget_tokens // _RECEIVER_SHARE
        line_start = self.text.rfind("\n", 0, self.offset) + 1
        cursor_line = self.text[line_start : self.offset]
        typed = _IDENTIFIER.search(cursor_line[::-1])
        typed_prefix = typed.group()[::-1] if typed is not None and typed.start() == 0 else ""
        above = line_start
        for _ in range(_RECEIVER_CONTEXT_LINES):
            above = self.text.rfind("\n", 0, max(0, above - 1)) + 1
        near = words(_IDENTIFIER.findall(self.text[above : self.offset]))
        pieces: list[_Piece] = []
        if receivers is None:
            receivers = cursor_receivers(
                self.index, self.path, self.text, self.offset, self.imported_files(),
                self.ancestors,
            )  # fmt: skip
        for order, types in enumerate(self._receiver_groups(receivers)):
            members = [
                (sym, m, line)
                for sym in types
                for m, line in self._members(sym, inherited=sym in self.ancestors)
            ]
            if not members:
                continue
            ranked = rank_members([m.name for _sym, m, _line in members], near, typed_prefix)
            shells = {sym: self._type_shell(sym) for sym in types}
            kept: dict[Symbol, list[tuple[Symbol, str]]] = {}
            cost = 0
            for i in ranked:
                sym, member, line = members[i]
                header, closing = shells[sym]
                opening = (
                    0 if sym in kept else self.count_tokens(f"{sym.path}\n{header}\n{closing}\n")
                )
                line_cost = opening + self.count_tokens(line + "\n")
                if cost + line_cost <= share:
                    cost += line_cost
                    kept.setdefault(sym, []).append((member, line))
            for sym, chosen in kept.items():
                chosen.sort(key=lambda k: (k[0].path, k[0].start_line))
                stubs = tuple((m.start_line, m.end_line, line) for m, line in chosen)
                header, closing = shells[sym]
                pieces.append(
                    _Piece(
                        sym.path, sym.start_line, sym.end_line, header,
                        _SCORE_RECEIVER - order, False, stubs, closing,
                    )
                )  # fmt: skip
            share -= cost
        if modules is None:
            specs = [ImportSpec(r.source, r.names, r.line, r.kind) for r in self.import_refs]
            modules = cursor_modules(self.index, self.path, self.text, self.offset, specs)
        pieces.extend(self._module_members(modules, share, near, typed_prefix, len(receivers)))
        return pieces

    @cached_property
    def ancestors(self) -> list[Symbol]:
        """When the cursor follows `self.` (`this.`, `super().`), the classes the enclosing class
        inherits from in other files, nearest first: their members are what comes next, and the
        file does not show them."""
        if not calls_own_member(self.text, self.offset):
            return []
        line = self.text.count("\n", 0, self.offset)
        return class_ancestors(self.index, self.path, line, self.local_definitions)

    def _receiver_groups(self, receivers: Sequence[str]) -> list[list[Symbol]]:
        """The types whose members each receiver's entry lists, in `receivers`' order. The
        enclosing class's ancestors are one entry (at the first of them), so their members are
        ranked together; another name is one type, or one C# partial type declared in parts
        (`partial class Runtime` in Runtime.cs and Runtime.Delegates.cs); unknown or too many
        look-alikes are left out."""
        ancestors = {sym.name for sym in self.ancestors}
        groups: list[list[Symbol]] = []
        grouped = False  # one entry, at the first of them, stands for all the ancestors
        for name in receivers:
            if name in ancestors:
                if not grouped:
                    groups.append(self.ancestors)
                    grouped = True
                continue
            types = [
                d
                for d in _shown_elsewhere(self.index.definitions(name), self.current, self.family)
                if d.kind in TYPE_KINDS or self._is_constructor(d)
            ]
            if len(types) == 1 or (
                types
                and all(d.path.endswith(".cs") and _PARTIAL.search(d.signature) for d in types)
            ):
                # A C# partial type may name its bases in any of its parts.
                bases = [b for part in types for b in self._bases_of(part) if b not in types]
                groups.append([*types, *dict.fromkeys(bases)])
            elif not types:
                # A type of this file: the window may show its members, but not those it
                # inherits from other files (`agent.tools` where Agent extends AgentBase).
                local = [
                    d
                    for d in self.index.definitions(name)
                    if d.path == self.current and d.kind in TYPE_KINDS
                ]
                if len(local) == 1 and (bases := self._bases_of(local[0])):
                    groups.append(bases)
        return groups

    def _bases_of(self, sym: Symbol) -> list[Symbol]:
        """The classes of other files a receiver's type inherits from: a receiver has their
        public members too (`result.raw_responses`, defined by RunResult's base)."""
        return type_ancestors(self.index, sym.path, sym, self.current)

    def _module_members(
        self, modules: Sequence[str], share: int, near: set[str], typed_prefix: str, order: int
    ) -> list[_Piece]:
        """For the modules the cursor's line calls into (cursor_modules), their public
        functions, classes and constants as stubs, the most relevant first, within `share`
        tokens."""
        pieces: list[_Piece] = []
        for rel in modules:
            api = [
                sym
                for sym in self.symbols(rel)
                if not sym.container and sym.is_public and sym.kind != "namespace"
            ]
            for rank, i in enumerate(rank_members([s.name for s in api], near, typed_prefix)):
                piece = self.piece_for(
                    api[i], _SCORE_RECEIVER - order - rank * 0.001, allow_body=False
                )
                cost = self.count_tokens(piece.text + "\n")
                if cost <= share:
                    share -= cost
                    pieces.append(piece)
            order += 1
        return pieces

    def _type_shell(self, sym: Symbol) -> tuple[str, str]:
        """The header line and closing line a type's member list is shown between."""
        header = _decorated_line(sym, _CONSTRUCTION_DECORATOR)
        if sym.path.endswith(".go"):
            # Go's methods live outside the struct: close it on its header line.
            return re.sub(r"\{\s*$", "{ ... }", header), ""
        if _has_impls(sym.path, sym.kind):
            # Rust's methods live in `impl` blocks after the type: list them in one, after the
            # type itself when it is short (its fields or variants are members too).
            return f"{_rust_type_outline(sym, header)}\nimpl {sym.name} {{", "}"
        if self._is_constructor(sym):
            # So do a JS constructor's prototype methods (listed as `X.prototype.m = ... { ... }`).
            return _closed(header, " { ... }"), ""
        return _shell(sym, header, self.lines(sym.path))

    def _is_constructor(self, sym: Symbol) -> bool:
        """A JavaScript function whose file assigns methods to its prototype (pre-class JS:
        `function Runner() {}` and `Runner.prototype.run = function`): a type for receivers."""
        if sym.kind != "function" or language_family(sym.path) != "js":
            return False
        if sym not in self._constructors:  # asked for the filter, the shell and the members
            self._constructors[sym] = any(
                m.container == sym.name and m.kind == "method" for m in self.symbols(sym.path)
            )
        return self._constructors[sym]

    def _members(self, sym: Symbol, *, inherited: bool = False) -> list[tuple[Symbol, str]]:
        """A type's public members, each with its line for the type's stub: those its body
        holds, or in Go the methods whose receiver it is, in any file of its package.
        `inherited`: the type is a base of the cursor's class, which also sees its protected
        members (Python's `_helper`, but not a name-mangled `__secret`; `protected` ones)."""
        if sym.path.endswith(".go"):
            package = self.index.package_files(self.index.abspath(sym.path))
            files = [sym.path, *(r for r in map(self.index.relpath, package) if r is not None)]
            # Another package sees only the exported (capitalised) methods.
            folder = posixpath.dirname(sym.path)
            same_package = self.current is not None and posixpath.dirname(self.current) == folder
            found: list[tuple[Symbol, str]] = []
            for rel in files:
                for m in self.symbols(rel):
                    receiver = _GO_RECEIVER.match(m.signature.strip())
                    if (
                        m.kind == "method"
                        and receiver is not None
                        and receiver.group(1) == sym.name
                        and (same_package or m.name[:1].isupper())
                    ):
                        found.append((m, _member_line(m)))
            return found
        if _has_impls(sym.path, sym.kind):
            # Methods are in the file's `impl` blocks for the type, not in its body. Another
            # module calls the `pub` ones and those of trait impls (which take no `pub`).
            blocks = rust_impls(self.index, sym.path, sym.name)
            return [
                (m, _member_line(m))
                for m in self.symbols(sym.path)
                if m.kind == "method"
                and any(
                    b.start < m.start_line <= b.end
                    and (b.trait or m.signature.lstrip().startswith("pub"))
                    for b in blocks
                )
            ]
        if self._is_constructor(sym):
            return [
                (m, _closed(m.signature.splitlines()[0], " { ... };"))
                for m in self.symbols(sym.path)
                if m.container == sym.name and m.kind == "method" and m.is_public
            ]
        members = [
            (m, _member_line(m))
            for m in self.symbols(sym.path)
            if m.container == sym.name
            and sym.start_line < m.start_line <= sym.end_line
            and (m.is_public or (inherited and _visible_to_subclass(m.name)))
            and m.kind != "class"
            and m.name != sym.name  # a constructor is not called through an instance
        ]
        if sym.path.endswith(".cs") and sym.kind == "class":
            # A C# class's member is private unless it says otherwise (`int count;`).
            return [(m, line) for m, line in members if _CSHARP_ACCESS.search(line)]
        return [(m, line) for m, line in members if not _PRIVATE.search(line)]

    def near_code(self, prompt_lines: tuple[int, int]) -> list[_Piece]:
        if self.current is None:
            return []
        line = self.text.count("\n", 0, self.offset)
        windows = near_windows(
            self.index, self.current, query_identifiers(self.text, self.offset),
            own_text=self.text, shown=(line - prompt_lines[0], line + prompt_lines[1]),
        )  # fmt: skip
        return [
            _Piece(w.path, w.start_line, w.end_line, w.text, _SCORE_NEAR_CODE + w.similarity, True)
            for w in windows
        ]

    def similar_chunks(self, own_ids: set[str]) -> list[_Piece]:
        if self.current is None or not own_ids:
            return []
        directory = self.current.rpartition("/")[0]
        suffix = Path(self.current).suffix
        siblings = [
            rel
            for rel in self.index.relpaths()  # strings: this runs over every indexed file
            if rel.rpartition("/")[0] == directory
            and rel != self.current
            and Path(rel).suffix == suffix
        ][:_MAX_SIBLINGS]
        scored: list[tuple[float, str, int]] = []
        for rel in siblings:
            lines = self.lines(rel)
            if sum(len(line) for line in lines) > _MAX_SIBLING_BYTES:
                continue
            for start in range(0, len(lines), _CHUNK_LINES):
                chunk_ids = _ids("\n".join(lines[start : start + _CHUNK_LINES]))
                if not chunk_ids:
                    continue
                jaccard = len(chunk_ids & own_ids) / len(chunk_ids | own_ids)
                if jaccard >= _MIN_JACCARD:
                    scored.append((jaccard, rel, start))
        scored.sort(key=lambda t: (-t[0], t[1], t[2]))
        pieces: list[_Piece] = []
        for jaccard, rel, start in scored[:_MAX_CHUNKS]:
            lines = self.lines(rel)[start : start + _CHUNK_LINES]
            end = start + len(lines) - 1
            text = "\n".join(lines).strip("\n")
            if text:
                pieces.append(_Piece(rel, start, end, text, _SCORE_SIMILAR + jaccard, raw=True))
        return pieces


def _shown_elsewhere(defs: list[Symbol], current: str | None, family: str) -> list[Symbol]:
    """The definitions that may be context for `current`: in another file of its language
    family, and not fields (fields show inside their class's stub, not on their own) nor
    namespaces (a file that names one is in it or uses it; its types are what it needs)."""
    return [
        d
        for d in defs
        if d.path != current
        and d.kind != "field"
        and d.kind != "namespace"
        and (not family or language_family(d.path) == family)
    ]


def _plausible(
    defs: list[Symbol],
    current: str | None,
    imported: set[str],
    used: Counter[str],
    family: str,
) -> list[Symbol]:
    """The definitions a use of a name probably means; [] when it is too generic to guess.

    A method name alone says little (`get`, `run`), so a method counts only when its file is
    imported or its class is named in this file too. A definition in another language family
    (a TypeScript `Model` for a Python file) never counts.
    """
    defs = [
        d
        for d in _shown_elsewhere(defs, current, family)
        if d.kind != "method" or d.path in imported or (d.container and d.container in used)
    ]
    if len(defs) > _MAX_DEFINITIONS_PER_NAME:
        defs = [d for d in defs if d.path in imported]  # a generic name: trust the imports
    return defs if len(defs) <= _MAX_DEFINITIONS_PER_NAME else []


_SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++")
_HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".h++")


def _visible_to_subclass(name: str) -> bool:
    """A member name a subclass may call although it is not public: Python's `_helper` and
    dunder methods (`__init__` after `super().`), not a name-mangled `__secret`, nor a
    JavaScript `#private` one."""
    return not name.startswith("#") and (not name.startswith("__") or name.endswith("__"))


_MAX_ANCESTORS = 4


def class_ancestors(
    index: WorkspaceIndex,
    path: Path,
    line: int,
    own: Sequence[Symbol | Definition] | None = None,
) -> list[Symbol]:
    """The repository classes (and interfaces) the innermost class around `line` of `path`
    inherits from, nearest first, as type_ancestors finds them. `own`: the definitions of
    `path`'s buffer, when the caller has parsed it (else the index's)."""
    if own is None:
        own = index.file_symbols(path)
    around = [
        s
        for s in own
        if s.kind in TYPE_KINDS and s.start_line <= line <= s.end_line and s.signature
    ]
    current = index.relpath(path)
    if current is None:
        return []
    if around:
        return type_ancestors(index, current, max(around, key=lambda s: s.start_line), current)
    # Rust: `self.` inside `impl Ledger { ... }` is a Ledger.
    found = _rust_self_type(index, current, line, own) if current.endswith(".rs") else None
    return type_ancestors(index, *found, current) if found is not None else []


# Facts read from a file's text (a PHP class's traits, a Rust file's impl blocks), kept by file
# and content hash. cursor_receivers runs on every request, and a `$this->` or Rust receiver
# line follows the type's bases: without this, each request would read and split those files
# again. An edit changes the hash, so it is seen.
T = TypeVar("T")
_FILE_FACTS: dict[tuple[object, ...], Any] = {}
_MAX_FILE_FACTS = 4096


def _from_file(
    index: WorkspaceIndex, rel: str, key: tuple[object, ...], read: Callable[[list[str]], T]
) -> T:
    """`read(lines of rel)`, once per version of `rel` (`key` tells apart what is read)."""
    full = (rel, index.fingerprint(rel), *key)
    found = _FILE_FACTS.get(full)
    if found is None:
        if len(_FILE_FACTS) >= _MAX_FILE_FACTS:
            _FILE_FACTS.clear()
        found = _FILE_FACTS[full] = read((index.read_text(index.abspath(rel)) or "").split("\n"))
    return cast(T, found)


def _php_traits(index: WorkspaceIndex, rel: str, typ: Symbol | Definition) -> list[str]:
    """The traits a PHP class uses: named in its body (`use Greets;`), not in its header."""
    return _from_file(
        index, rel, ("php traits", typ.start_line, typ.end_line),
        lambda lines: php_trait_names(lines[typ.start_line + 1 : typ.end_line]),
    )  # fmt: skip


def _rust_visible(sym: Symbol) -> bool:
    """A Rust item another module can use: `pub` (`pub(crate)`), or a macro (exported by an
    attribute the signature does not show)."""
    return sym.kind == "macro" or sym.signature.lstrip().startswith("pub")


def _has_impls(path: str, kind: str) -> bool:
    """A Rust type whose methods and traits are in `impl` blocks (a trait's are in its body)."""
    return path.endswith(".rs") and kind != "interface"


_MAX_RUST_SHELL_LINES = 16


def _rust_type_outline(sym: Symbol, header: str) -> str:
    """A Rust type as a receiver's entry shows it above its methods: a short enum whole (its
    variants are what `Kind::` names), a short struct with its `pub` fields only (another module
    cannot touch the others), else its header line."""
    lines = sym.body.rstrip().splitlines()
    if 2 < len(lines) <= _MAX_RUST_SHELL_LINES:
        inner = lines[1:-1]
        if sym.kind != "enum":
            inner = [line for line in inner if line.lstrip().startswith("pub")]
        if inner:
            return "\n".join([lines[0], *inner, lines[-1]])
    if len(lines) == 1:  # `pub struct Id(u32);`, `pub struct Marker;`
        return lines[0]
    return re.sub(r"\s*\{?\s*$", " { ... }", header)


def rust_impls(index: WorkspaceIndex, rel: str, type_name: str | None = None) -> list[RustImpl]:
    """The `impl` blocks of the Rust file `rel` (those that give `type_name` methods: its
    methods live there, not in the struct's body), read once per file version."""
    blocks: list[RustImpl] = _from_file(index, rel, ("rust impls",), rust_impl_blocks)
    return [b for b in blocks if type_name is None or b.type == type_name]


def _rust_self_type(
    index: WorkspaceIndex, rel: str, line: int, own: Sequence[Symbol | Definition]
) -> tuple[str, Symbol | Definition] | None:
    """The type (and its file) that `self` is at `line` of the Rust file `rel`: that of the
    innermost `impl` block around it, declared in this file or in another one of the crate."""
    impls = [b for b in rust_impls(index, rel) if b.start <= line <= b.end]
    if not impls:
        return None
    name = max(impls, key=lambda b: b.start).type
    here = [s for s in own if s.kind in TYPE_KINDS and s.name == name]
    if here:
        return (rel, here[0]) if len(here) == 1 else None
    elsewhere = [
        d for d in index.definitions(name) if d.kind in TYPE_KINDS and d.path.endswith(".rs")
    ]
    return (elsewhere[0].path, elsewhere[0]) if len(elsewhere) == 1 else None


def type_ancestors(
    index: WorkspaceIndex, rel: str, sym: Symbol | Definition, shown: str | None
) -> list[Symbol]:
    """The repository classes (and interfaces, and PHP traits) the type `sym` of the file `rel`
    inherits from, nearest first, up to _MAX_ANCESTORS, leaving out those in the file `shown`
    (the prompt's file shows them) but following their bases. A base name defined more than
    once is the definition in a file the inheriting class's file imports, else it is not
    followed."""
    family = language_family(rel)
    seen = {(rel, sym.name)}
    # (file, type) pairs whose bases are still to be followed
    frontier: list[tuple[str, Symbol | Definition]] = [(rel, sym)]
    found: list[Symbol] = []
    while frontier and len(found) < _MAX_ANCESTORS:
        at, typ = frontier.pop(0)
        names = base_names(typ.signature)
        if at.endswith(".php"):
            names += [n for n in _php_traits(index, at, typ) if n not in names]
        elif _has_impls(at, typ.kind):
            # A Rust type's "bases" are the traits its file implements for it: their default
            # methods are callable on it and live in the trait's file.
            traits = [b.trait for b in rust_impls(index, at, typ.name) if b.trait]
            names += [n for n in dict.fromkeys(traits) if n not in names]
        for base_name in names:
            defs = [
                d
                for d in index.definitions(base_name)
                if d.kind in TYPE_KINDS and (not family or language_family(d.path) == family)
            ]
            if len(defs) > 1:
                imported = {index.relpath(p) for p in index.imports_of(index.abspath(at))}
                defs = [d for d in defs if d.path in imported or d.path == at]
            if len(defs) != 1 or (defs[0].path, defs[0].name) in seen:
                continue
            base = defs[0]
            seen.add((base.path, base.name))
            frontier.append((base.path, base))
            if base.path != shown:
                found.append(base)
    return found[:_MAX_ANCESTORS]


def cursor_receivers(
    index: WorkspaceIndex,
    path: Path,
    text: str,
    offset: int,
    included: Iterable[str],
    ancestors: Sequence[Symbol] | None = None,
) -> list[str]:
    """The declared types of the receivers on the cursor's line (engine/receivers.py); for a C
    or C++ source file, also those its class's header declares (`included`: the workspace files
    the file includes, relative). Right after `self.` (`this.`, `super().`), the classes the
    enclosing class inherits from come first (`ancestors`, when the caller has found them with
    class_ancestors)."""
    headers = _class_headers(index, index.relpath(path), included)
    types = receiver_types(text, offset, headers=headers)
    if calls_own_member(text, offset):
        if ancestors is None:
            ancestors = class_ancestors(index, path, text.count("\n", 0, offset))
        types = [*dict.fromkeys([*(b.name for b in ancestors), *types])]
    return types


def cursor_modules(
    index: WorkspaceIndex,
    path: Path,
    text: str,
    offset: int,
    specs: Sequence[ImportSpec] | None = None,
) -> list[str]:
    """The workspace files of the modules the cursor's line calls into as receivers (`_json.`
    after `from .util import _json`, `fmt.` after `import * as fmt`), nearest first. `specs`:
    the file's imports when the caller has parsed `text`; else the index's (its buffer's)."""
    names = receivers_near(text, offset, 0)[:_MAX_MODULE_RECEIVERS]
    language = index.file_language(path) if names else None
    if language is None:
        return []
    if specs is None:
        specs = index.import_specs(path)
    found: list[str] = []
    for name in names:
        rel = _module_file(index, path, language, specs, name)
        if rel is not None and rel not in found:
            found.append(rel)
    return found


def _module_file(
    index: WorkspaceIndex, path: Path, language: str, specs: Sequence[ImportSpec], name: str
) -> str | None:
    """The workspace file an import binds to `name` as a whole module: Python's `import name`,
    or `from pkg import name` where pkg/name.py (or pkg/name/__init__.py) exists, or a JS/TS
    namespace, default or require binding of a file that defines no top-level `name` of its
    own."""
    family = language_family(path)
    current = index.relpath(path)
    for spec in specs:
        if name in spec.names:
            one = ImportSpec(spec.source, (name,), spec.line, spec.kind)
        elif family == "python" and not spec.names and spec.source.rpartition(".")[2] == name:
            one = spec  # `import ink`, or `import pkg.ink` then `pkg.ink.`
        else:
            continue
        for found in index.resolve(path, language, [one]):
            rel = index.relpath(found)
            if rel is None or rel == current:
                continue
            if family == "python":
                stem = posixpath.splitext(posixpath.basename(rel))[0]
                if stem == "__init__":
                    stem = posixpath.basename(posixpath.dirname(rel))
                if stem == name:
                    return rel
            elif family == "js" and not any(
                s.name == name and not s.container for s in index.file_symbols(found)
            ):
                return rel
    return None


def _class_headers(
    index: WorkspaceIndex, current: str | None, included: Iterable[str]
) -> list[str]:
    """The texts of the headers a C or C++ source file (`current`, relative) includes under its
    own name (re2.cc: re2/re2.h, among `included`): its class's fields are declared there, so
    `prog_->` in a method body finds its type there."""
    if current is None or not current.endswith(_SOURCE_SUFFIXES):
        return []
    stem = posixpath.splitext(posixpath.basename(current))[0]
    texts: list[str] = []
    for rel in included:
        name = posixpath.basename(rel)
        if name.endswith(_HEADER_SUFFIXES) and posixpath.splitext(name)[0] == stem:
            text = index.read_text(index.abspath(rel))
            if text is not None:
                texts.append(text)
    return texts


def _comment(rel: str) -> str:
    language = language_for_path(rel)
    return language.line_comment if language is not None else "#"


def _contains(outer: _Piece, inner: _Piece) -> bool:
    """Whether `outer` shows every line `inner` shows: its range, and the member lines it lists
    (a Go type's methods and a JS constructor's prototype methods lie outside the type)."""
    start = min([inner.start_line, *(m[0] for m in inner.members)])
    end = max([inner.end_line, *(m[1] for m in inner.members)])
    return outer.start_line <= start and end <= outer.end_line


def _uncovered(group: list[_Piece]) -> list[_Piece]:
    """One file's pieces without those a verbatim region of it already shows, in whichever order
    they were chosen (of two regions with the same lines, the one chosen first stays)."""
    regions: list[_Piece] = []
    for region in sorted((p for p in group if p.raw), key=lambda p: p.start_line - p.end_line):
        if not any(_contains(kept, region) for kept in regions):  # largest first
            regions.append(region)
    shown = {id(r) for r in regions}
    return [
        p
        for p in group
        if id(p) in shown
        or (not p.raw and not any(_contains(r, p) or _shows_stub(r, p) for r in regions))
    ]


def _shows_stub(region: _Piece, piece: _Piece) -> bool:
    """Whether verbatim `region` holds all the lines a member-less stub shows, in a row: a
    window that starts at a function's `def` shows its signature and docstring, though not the
    whole body that the stub's range spans (google-adk's `create_session` header was in the
    block twice, as a stub and again at the top of a near-code window)."""
    if piece.members:
        return False
    want = [line.rstrip() for line in piece.text.rstrip().splitlines()]
    have = [line.rstrip() for line in region.text.splitlines()]
    if not want or len(want) > len(have):
        return False
    first = want[0]
    return any(
        have[i] == first and have[i : i + len(want)] == want
        for i in range(len(have) - len(want) + 1)
    )


def _render(pieces: Iterable[_Piece]) -> list[ContextSnippet]:
    """Group per file, in (path, position) order; elided code between pieces is marked."""
    by_file: dict[str, list[_Piece]] = {}
    for piece in pieces:
        by_file.setdefault(piece.rel, []).append(piece)
    snippets: list[ContextSnippet] = []
    for rel in sorted(by_file):
        group = _uncovered(by_file[rel])
        by_range = {(p.start_line, p.end_line): p for p in group if not p.members}
        absorbed = {
            (start, end)
            for p in group
            for start, end, _stub in p.members
            if (start, end) in by_range
        }
        ordered = sorted(
            (p for p in group if p.members or (p.start_line, p.end_line) not in absorbed),
            key=lambda p: (p.start_line, p.end_line, p.text),
        )
        parts: list[str] = []
        shown_end: int | None = None  # the last line the text so far shows, if it ends in a run
        for piece in ordered:
            text = piece.render(by_range)
            lines = text.split("\n")
            rendered_lines = len(lines)
            verbatim = piece.raw and rendered_lines == piece.end_line - piece.start_line + 1
            if verbatim and shown_end is not None and piece.start_line <= shown_end:
                # Overlapping windows: go on from where the last one stopped.
                lines = lines[shown_end - piece.start_line + 1 :]
                if not lines:
                    continue
                parts.append("\n".join(lines))
            else:
                if parts and (shown_end is None or piece.start_line != shown_end + 1):
                    # Elided code, or a window inside a class whose stub came first: without
                    # the mark, the window would read as the body of the stub's last member.
                    parts.append(f"{_comment(rel)} ...")
                parts.append(text)
            shown_end = _last_shown_line(piece, rendered_lines)
        snippets.append(ContextSnippet(path=rel, text="\n".join(parts)))
    return snippets


def _last_shown_line(piece: _Piece, rendered_lines: int) -> int | None:
    """The file line the rendered `piece` ends on when it shows a run of lines that the next
    piece could continue: a region, a whole body, or a signature-and-doc stub; None for a type's
    stub, which lists members from all over its body."""
    if piece.members:
        return None
    if piece.raw or rendered_lines >= piece.end_line - piece.start_line + 1:
        return piece.end_line
    return piece.stub_end


def _cost(snippets: Iterable[ContextSnippet], count_tokens: Callable[[str], int]) -> int:
    # What the prompt will hold: <|file_sep|>{path}\n{text}\n (the separator is one token).
    return sum(1 + count_tokens(f"{s.path}\n{s.text}\n") for s in snippets)


class _Budget:
    """Greedy packing by score, measuring each file group as it will be rendered."""

    def __init__(self, budget: int, count_tokens: Callable[[str], int]) -> None:
        self.budget = budget
        self.count_tokens = count_tokens
        self.chosen: list[_Piece] = []
        self._keys: set[tuple[str, int, int]] = set()
        self._group_cost: dict[str, int] = {}

    @property
    def used(self) -> int:
        return sum(self._group_cost.values())

    def offer(self, piece: _Piece) -> bool:
        """Take `piece` if its file's group, rendered with it, still fits (a piece a chosen
        verbatim region shows costs nothing: rendering drops it)."""
        if (piece.rel, piece.start_line, piece.end_line) in self._keys:
            return False
        group = [c for c in self.chosen if c.rel == piece.rel] + [piece]
        cost = _cost(_render(group), self.count_tokens)
        if self.used - self._group_cost.get(piece.rel, 0) + cost > self.budget:
            return False
        self.chosen.append(piece)
        self._keys.add((piece.rel, piece.start_line, piece.end_line))
        self._group_cost[piece.rel] = cost
        return True


def _shell(sym: Symbol, header: str, lines: list[str]) -> tuple[str, str]:
    """A type's header and closing line, for a stub that lists its members between them: the
    closing line when the file ends the type on one of its own (`}`, `};`, `end`), and then the
    opening brace too, so the stub is balanced."""
    if not sym.start_line < sym.end_line < len(lines):
        return header, ""
    closing = lines[sym.end_line].rstrip()
    if closing.strip() not in {"}", "};", "end"}:
        return header, ""
    if closing.lstrip().startswith("}") and not header.rstrip().endswith("{"):
        header += _opening_brace(sym, lines)
    return header, closing


def _closed(line: str, body: str) -> str:
    """`line` (a header that opens a body, or stops where it starts) closed on itself with
    `body`: `function f(a) {` -> `function f(a) { ... }`."""
    return line.rstrip().removesuffix("{").rstrip() + body


def _opening_brace(sym: Symbol, lines: list[str]) -> str:
    """The brace that opens a type's body, as its file writes it, for a stub that shows the
    closing one: a signature stops where the body starts, so `class Store {` is "class Store"
    and C#'s `{` on the next line is not in it either."""
    end = sym.start_line + max(1, len(sym.signature.splitlines())) - 1
    if end < len(lines) and lines[end].rstrip().endswith("{"):
        return " {"
    if end + 1 < len(lines) and lines[end + 1].strip() == "{":
        return "\n" + lines[end + 1].rstrip()
    return ""


def _member_line(sym: Symbol) -> str:
    """A member's lines in its type's stub: the line that names it, after the decorators above
    it that change how it is used (_ACCESS_DECORATOR)."""
    return _decorated_line(sym, _ACCESS_DECORATOR)


def _decorated_line(sym: Symbol, keep: re.Pattern[str]) -> str:
    """The line of a definition's signature that names it (not an `@Override` above it),
    trailing whitespace cut, after those of the decorators above it that `keep` matches,
    indented alike: a type's header or a member's line in the type's stub."""
    lines = sym.signature.rstrip().splitlines() or [""]
    row = _naming_row(sym, lines)
    kept = [ln.strip() for ln in lines[:row] if keep.fullmatch(ln)]
    named = _indented(sym, lines[row].rstrip())
    indent = named[: len(named) - len(named.lstrip())]
    return "\n".join([*(indent + ln for ln in kept), named])


def _naming_row(sym: Symbol, lines: list[str]) -> int:
    """The first of a signature's lines that holds the symbol's name; the first line if none."""
    return next((i for i, ln in enumerate(lines) if sym.name in ln), 0)


def _indented(sym: Symbol, line: str) -> str:
    """A member's line indented under its type's header even where the signature was not."""
    return line if line.startswith((" ", "\t")) or not sym.container else "    " + line


def _rank(pieces: Iterable[_Piece]) -> list[_Piece]:
    best: dict[tuple[str, int, int], _Piece] = {}
    for piece in pieces:
        key = (piece.rel, piece.start_line, piece.end_line)
        if key not in best or piece.score > best[key].score:
            best[key] = piece
    return sorted(best.values(), key=lambda p: (-p.score, p.rel, p.start_line, p.end_line))


def select_context(
    index: WorkspaceIndex,
    path: Path,
    text: str,
    offset: int,
    *,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
    recent: Sequence[tuple[Path, str]] = (),
    near_code: bool = False,
    prompt_lines: tuple[int, int] = PROMPT_LINES,
    receivers: Sequence[str] | None = None,
    modules: Sequence[str] | None = None,
) -> list[ContextSnippet]:
    """Snippets of other workspace files for a completion at `offset` (a character index into
    `text`, the current buffer of `path`), within `budget_tokens`, sorted by (path, position).
    `near_code`: offer code like the lines above the cursor first (engine/near_code.py), from
    other files and from parts of this one outside the `prompt_lines` (before, after) the prompt
    shows around the cursor. Only worth it for a block selected at the cursor: selected once when
    a file opens, where the cursor is unknown, near code measured no better than without it (dev:
    35.6% against 34.4%; no context 35.6%), which is why the server's block follows the cursor's
    region. `receivers` and `modules`: cursor_receivers and cursor_modules, when the caller has
    them already."""
    if budget_tokens <= 0:
        return []
    sel = _Selector(index, path, text, offset, count_tokens)
    used = sel.file_identifiers()
    local = sel.local_names()
    imported = sel.imported_files()
    imported_set = {*imported, *sel.package_files()}

    # Phase 1: code like the cursor's (if asked for), then what the whole file needs. Only the
    # first depends on the cursor, and only on the lines above it.
    candidates = _rank(
        [
            *sel.receiver_members(budget_tokens, receivers, modules),
            *(sel.near_code(prompt_lines) if near_code else []),
            *sel.used_definitions(used, local, imported_set),
            *sel.imported_api(imported, used),
            *sel.recent_regions(recent),
            *sel.similar_chunks(set(used) if used else _ids(text)),
        ]
    )
    budget = _Budget(budget_tokens, count_tokens)
    for piece in candidates:
        budget.offer(piece)

    # Phase 2: names near the cursor, only with what is left (includes names too generic for
    # phase 1, which the cursor's neighbourhood now disambiguates by nearness).
    for name in sel.near_identifiers():
        if name in local or len(name) < 2:
            continue
        defs = _plausible(index.definitions(name), sel.current, imported_set, used, sel.family)
        for sym in defs:
            budget.offer(sel.piece_for(sym, 0.0, allow_body=True))

    snippets = _render(budget.chosen)
    # The per-group measure is exact for the groups, but keep the promise even if a tokenizer
    # counts the whole differently: drop the weakest pieces until it fits.
    chosen = sorted(budget.chosen, key=lambda p: (-p.score, p.rel, p.start_line))
    while chosen and _cost(snippets, count_tokens) > budget_tokens:
        chosen.pop()
        snippets = _render(chosen)
    return snippets


def definition_context(
    index: WorkspaceIndex,
    path: Path,
    text: str,
    names: Sequence[str],
    *,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
) -> list[ContextSnippet]:
    """The definitions of `names` in other files, first names first, rendered as select_context
    renders them, within `budget_tokens`. Given the names a completion should use, this is the
    block a perfect ranking would build: the benchmark's oracle, the ceiling for selection."""
    sel = _Selector(index, path, text, 0, count_tokens)
    local = sel.local_names()
    budget = _Budget(budget_tokens, count_tokens)
    for name in dict.fromkeys(names):
        if name in local or len(name) < 2:
            continue
        defs = _shown_elsewhere(index.definitions(name), sel.current, sel.family)
        if len(defs) > _MAX_DEFINITIONS_PER_NAME:
            continue  # as in selection: a name this generic has no one definition to show
        for sym in defs:
            budget.offer(sel.piece_for(sym, 0.0, allow_body=True))
    return _render(budget.chosen)


__all__ = [
    "TYPE_KINDS",
    "ContextSnippet",
    "class_ancestors",
    "cursor_modules",
    "cursor_receivers",
    "definition_context",
    "select_context",
    "type_ancestors",
]
