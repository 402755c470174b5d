"""Line-completion tasks mined from a repository: finish a line that uses another file's symbol.

A task puts the cursor just before the first identifier on a line that names a symbol defined in
another file of the repository (and not in the line's own file), and asks for the rest of that
line. A bare name that merely matches a definition elsewhere (`type`, `connect`, a local variable
`handoff`) is usually something else, so the line's file must also import the symbol:
- Python and JavaScript/TypeScript import names, so the name must be imported by name
  (`from .items import RunItem`, `import { Collection } from "./collection"`); after a qualifier
  (`x.connect`) it must be a member of the repository, not a library's member of the same name
  (`items.append`, `Object.keys`): `x` is a module the file imports from a file that defines
  the name (`from . import _debug`, then `_debug.DONT_LOG`; `import * as fmt`), or the name
  belongs to a type the file names and `x` is named after that type (`tool_registry.` for
  `ToolRegistry`, `tool.` for `FunctionTool`), or to a class of another file that such a type
  inherits from (`agent.tools`, where `Agent` extends `AgentBase`, which defines `tools`).
  Keyword arguments and object keys are skipped;
- the other languages import files, packages or modules (`#include "config.h"`, Go's
  `import "example.com/m/util"`, Rust's `use crate::config`, Java's `import a.b.Config`, PHP's
  `use App\\Util\\Helper`), so one of the files that define the name must be among the files the
  line's file imports, as the index resolves them (C#'s `using A.B` brings every file that
  declares namespace A.B). In Go and Java the other files of the same directory (the same
  package) count as imported, and in C# those of the file's namespace and the namespaces around
  it, since the language makes their names visible without an import. There a member position is
  a task like any other: `util.Do(` is Go's only way to call another package's function. But a
  member of the repository's types is reached through one of them, so after a qualifier
  (`uri.getPath()`, `names.Length`) it is a task only if the file names one of those types or
  a type that inherits from one; otherwise it is a library's member of the same name.
Definition headers, import and package statements, comments and short lines are never used.
The buffer handed to the engine is the file with the rest of that line removed, so neither the
prompt nor the index (which must be fed the buffer) can see the answer; the same line elsewhere
in the repository is fair game, because finding it is what repository context is for.

Sampling is seeded and capped per file and per repository, so a run is repeatable.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import msgspec
from tree_sitter import Node, QueryCursor, Tree

from infilld.engine.context import TYPE_KINDS, class_ancestors, type_ancestors
from infilld.engine.receivers import OWN_OBJECTS
from infilld.index import Symbol, WorkspaceIndex
from infilld.syntax import LoadedLanguage, language_for_source, parse
from infilld.syntax import imports as extract_imports

# Languages whose imports name the symbols they bring in; the others import files or packages.
IMPORTS_BY_NAME = frozenset({"python", "typescript", "typescriptreact", "javascript"})
MIN_LINE_CHARS = 10  # shorter lines (`pass`, `}`, `else:`) say nothing about context
MIN_TRUTH_CHARS = 3
MAX_TRUTH_CHARS = 160  # a longer rest of line is rarely one suggestion; it also costs generation
# A name defined in more files than this is too generic (`get`, `name`) to be "the" definition.
MAX_DEFINITIONS = 3
# Declaration files describe other files; a "definition" there is a duplicate, not a source.
_SKIPPED_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")


class LineTask(msgspec.Struct, frozen=True, kw_only=True):
    """One completion task. Lines and columns are 0-based; `offset` indexes `buffer`."""

    path: str  # relative to the repository root, POSIX separators
    line: int
    column: int  # characters from the start of the line to the cursor
    offset: int
    buffer: str  # the file with the rest of the task's line removed
    truth: str  # the removed rest of the line, trailing whitespace stripped
    symbol: str  # the identifier right after the cursor
    defined_in: tuple[str, ...]  # the other files that define `symbol`
    # Python or JS/TS `x.symbol`, a member of a repository type or module (see _repo_member);
    # the other languages import files, so there a member is a task like any other name.
    member: bool = False


def _line_spans(nodes: Iterable[Node]) -> set[int]:
    lines: set[int] = set()
    for node in nodes:
        lines.update(range(node.start_point.row, node.end_point.row + 1))
    return lines


def _import_lines(tree: Tree, language: LoadedLanguage) -> set[int]:
    """Every line of every import statement (multi-line `from x import (\n a,\n b)` included)."""
    query = language.queries.get("imports")
    if query is None:
        return set()
    captures = QueryCursor(query).captures(tree.root_node)
    return _line_spans(captures.get("import", []))


def _header_lines(symbols: Sequence[Symbol]) -> set[int]:
    """Lines of definition headers (`def f(...)`, `class A:`, `const x =`): the first line of a
    definition names itself, so "completing" it would test the file, not the repository."""
    lines: set[int] = set()
    for sym in symbols:
        header = max(1, len(sym.signature.splitlines())) if sym.signature else 1
        lines.update(range(sym.start_line, min(sym.end_line, sym.start_line + header - 1) + 1))
    return lines


def _references(tree: Tree, language: LoadedLanguage) -> list[Node]:
    query = language.queries.get("references")
    if query is None:
        return []
    nodes: list[Node] = []
    for cap, captured in QueryCursor(query).captures(tree.root_node).items():
        if not cap.startswith("_"):
            nodes.extend(captured)
    nodes.sort(key=lambda n: n.start_byte)
    return nodes


# Statements that name the file's own package or namespace: no completion there uses the repo.
_PACKAGE_STATEMENTS = frozenset(
    {"package_clause", "package_declaration", "namespace_definition", "namespace_declaration"}
)


def _comment_and_package_lines(tree: Tree) -> set[int]:
    """Lines that hold a comment (`comment`, or Rust's and Java's `line_comment` and
    `block_comment`), whole or trailing, and the first line of a package or namespace statement."""
    lines: set[int] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type.endswith("comment"):
            lines.update(range(node.start_point.row, node.end_point.row + 1))
        elif node.type in _PACKAGE_STATEMENTS:
            lines.add(node.start_point.row)
        stack.extend(node.children)
    return lines


# (parent type, field) pairs where an identifier names a member or an argument, not a symbol.
_MEMBER_FIELDS = (
    ("attribute", "attribute"),  # Python x.name
    ("member_expression", "property"),  # JS/TS x.name
    ("keyword_argument", "name"),  # Python f(name=...)
    ("pair", "key"),  # JS/TS { name: ... }
)


# The same for the languages that import files: an identifier that labels a field or an argument
# (`T{Kind: 1}`, `S { kind: 1 }`, `.kind = 1`, `f(name: $v)`) names a member of something else,
# and Rust's shorthand `S { flags }` names a local variable.
_LABEL_FIELDS = (
    ("keyed_element", "key"),  # Go T{Kind: 1} (the key is a literal_element around the name)
    ("field_initializer", "field"),  # Rust S { kind: 1 }
    ("argument", "name"),  # PHP and C# f(name: v)
)
_LABEL_PARENTS = frozenset({"field_designator", "shorthand_field_initializer"})  # C .kind = 1
# Definition kinds that are only ever called: a bare use of such a name without a call after it
# (`handle != null`, `info.versionName`) is a local variable or a field of the same name.
_CALLABLE_KINDS = frozenset({"function", "method", "macro"})
# Definition kinds that another file's code reaches through a qualifier (`pkg.Var`, `obj.field`):
# the same name unqualified (`super(json)`) is a local variable or parameter.
_MEMBER_KINDS = frozenset({"variable", "field"})
# Where a use must stand to be the definition (_cross_file tells which, from the kinds).
CALLED, QUALIFIED, ANYWHERE = "called", "qualified", "anywhere"
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _fills_field(node: Node, fields: Sequence[tuple[str, str]]) -> bool:
    """Whether `node` (or the literal_element wrapping it) is the `field` child of its parent."""
    parent = node.parent
    if parent is not None and parent.type == "literal_element" and parent.named_child_count == 1:
        node, parent = parent, parent.parent
    if parent is None:
        return False
    for parent_type, field in fields:
        if parent.type == parent_type:
            child = parent.child_by_field_name(field)
            if child is not None and child.start_byte == node.start_byte:
                return True
    return False


def _is_member_position(node: Node) -> bool:
    return _fills_field(node, _MEMBER_FIELDS)


def _is_label(node: Node) -> bool:
    parent = node.parent
    return (parent is not None and parent.type in _LABEL_PARENTS) or _fills_field(
        node, _LABEL_FIELDS
    )


def _is_qualified(line: str, column: int) -> bool:
    """Whether the name starting at `column` follows a qualifier: `x.`, `x->`, `x::`."""
    return line[:column].rstrip().endswith((".", "->", "::"))


def _is_called(line: str, end_column: int) -> bool:
    """Whether the name ending at `end_column` is called: `(` after it, Rust's `!(`, `![` or
    `!{` of a macro (not `!=`), or `::<` of a generic call."""
    rest = line[end_column:].lstrip()
    return rest.startswith(("(", "!(", "![", "!{", "::<"))


# Parents whose `object` child qualifies a member: Python `x.name`, JS/TS `x.name`.
_ATTRIBUTE_PARENTS = frozenset({"attribute", "member_expression"})


def _is_attribute(node: Node) -> bool:
    parent = node.parent
    return parent is not None and parent.type in _ATTRIBUTE_PARENTS


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def _names_type(qualifier: str, owner: str) -> bool:
    """Whether a variable named `qualifier` reads as an instance of `owner`: the names agree up
    to case and underscores, or one ends the other (`tool_registry` and `ToolRegistry`,
    `tool` and `FunctionTool`, `sample_agent` and `Agent`)."""
    q, o = _squash(qualifier), _squash(owner)
    return len(q) >= 3 and len(o) >= 3 and (q == o or o.endswith(q) or q.endswith(o))


def _heirs(index: WorkspaceIndex, file_words: Iterable[str]) -> dict[str, frozenset[str]]:
    """For each repository class that a type the file names inherits from (as the engine's
    type_ancestors follows bases), the names of those types: a member that `AgentBase` defines
    is reached through an `Agent` too."""
    found: dict[str, set[str]] = {}
    for word in file_words:
        types = [d for d in index.definitions(word) if d.kind in TYPE_KINDS]
        if len(types) != 1:
            continue
        for base in type_ancestors(index, types[0].path, types[0], None):
            found.setdefault(base.name, set()).add(word)
    return {name: frozenset(heirs) for name, heirs in found.items()}


def _repo_member(
    node: Node,
    verdict: _Verdict,
    imported_names: set[str],
    imported_files: set[str],
    file_words: set[str],
    ancestors: Callable[[int], frozenset[str]],
    heirs: Callable[[], dict[str, frozenset[str]]],
) -> bool:
    """Whether `x.name` in Python or JS/TS reaches the repository's `name`, not a library's
    member of the same name (`items.forEach`, `Object.keys`): `x` is a module or namespace the
    file imports from a file that defines `name` (`from . import _debug`, then
    `_debug.DONT_LOG`), or `name` is a member of a type the file names and `x`'s own name says
    it is one (`tool_registry.register_tool`, with `ToolRegistry` named in the file), or of a
    class that such a type inherits from (`heirs`: _heirs of the file's words), or `x` is
    `self` (`this`, `super()`) and `name` is inherited from a class of another file that the
    line's class extends (`ancestors`: their names, for a 0-based line)."""
    parent = node.parent
    target = parent.child_by_field_name("object") if parent is not None else None
    if target is None:
        return False
    if _node_name(target).removesuffix("()") in OWN_OBJECTS:  # super() too
        # `self.name` inherited: a class this line's class extends, in another file, has it.
        return not ancestors(node.start_point.row).isdisjoint(verdict.owners)
    if target.type == "identifier":
        qualifier = _node_name(target)
        if qualifier in imported_names and imported_files.intersection(verdict.files):
            return True
    elif target.type not in _ATTRIBUTE_PARENTS:
        return False  # a call's or a subscript's result: its type is not in its name
    words = _WORD.findall(_node_name(target))
    if not words or not verdict.owners:
        return False
    if not verdict.owners.isdisjoint(file_words) and any(
        _names_type(words[-1], owner) for owner in verdict.owners
    ):
        return True
    inheriting = heirs()
    return any(
        _names_type(words[-1], heir)
        for owner in verdict.owners
        for heir in inheriting.get(owner, ())
    )


def _node_name(node: Node) -> str:
    data = node.text
    return data.decode("utf-8", errors="replace") if data is not None else ""


def candidate_tasks(index: WorkspaceIndex, path: Path, text: str) -> list[LineTask]:
    """All tasks a file offers, in line order (see the module docstring for the rules)."""
    rel = index.relpath(path)
    language = language_for_source(path, text)
    if rel is None or language is None or "references" not in language.queries:
        return []
    if rel.endswith(_SKIPPED_SUFFIXES):
        return []
    source = text.encode("utf-8", errors="replace")
    tree = parse(source, language)
    lines = text.split("\n")
    # Byte columns from tree-sitter become character columns through each line's bytes.
    line_bytes = [line.encode("utf-8", errors="replace") for line in lines]
    line_starts: list[int] = []
    pos = 0
    for line in lines:
        line_starts.append(pos)
        pos += len(line) + 1
    own_names = {s.name for s in index.file_symbols(path)}
    by_name = language.id in IMPORTS_BY_NAME
    imported_names = {name for ref in extract_imports(tree, language) for name in ref.names}
    # Python and JS/TS need the imported files only for a member's module (`_debug.x`), later.
    imported_files = None if by_name else _imported_files(index, path)
    excluded = (
        _import_lines(tree, language)
        | _header_lines(index.file_symbols(path))
        | _comment_and_package_lines(tree)
    )
    tasks: list[LineTask] = []
    done_lines: set[int] = set()
    verdicts: dict[str, _Verdict | None] = {}
    file_words = set(_WORD.findall(text))
    inherited: dict[int, frozenset[str]] = {}

    def ancestors(row: int) -> frozenset[str]:
        if row not in inherited:
            inherited[row] = frozenset(a.name for a in class_ancestors(index, path, row))
        return inherited[row]

    @functools.cache
    def heirs() -> dict[str, frozenset[str]]:  # computed once a member needs it
        return _heirs(index, file_words)

    for node in _references(tree, language):
        row = node.start_point.row
        if row in done_lines or row in excluded or node.end_point.row != row:
            continue
        if row >= len(lines) or len(lines[row].strip()) < MIN_LINE_CHARS:
            continue
        name = _node_name(node)
        member = by_name and _is_member_position(node)
        if member and not _is_attribute(node):
            continue  # a keyword argument or an object key names no symbol
        if by_name and not member and name not in imported_names:
            continue
        if not by_name and _is_label(node):
            continue
        if name not in verdicts:
            verdicts[name] = _cross_file(index, name, rel, own_names)
        verdict = verdicts[name]
        if verdict is None:
            continue
        defined_in, where, owners = verdict
        column = len(line_bytes[row][: node.start_point.column].decode("utf-8", errors="replace"))
        if member or not by_name:
            if imported_files is None:
                imported_files = _imported_files(index, path)
            if member:
                if not _repo_member(
                    node, verdict, imported_names, imported_files, file_words, ancestors, heirs
                ):
                    continue
            elif not imported_files.intersection(defined_in):
                continue
            if where == CALLED and not _is_called(lines[row], column + len(name)):
                continue
        if not by_name:
            qualified = _is_qualified(lines[row], column)
            if where == QUALIFIED and not qualified:
                continue
            # `uri.getPath()`, `names.Length`: a member of the repository's types is reached
            # through one of them, so a file that never names any means a library's member
            # of the same name (java.net.URI's, an array's).
            if (
                qualified
                and owners
                and owners.isdisjoint(file_words)
                and owners.isdisjoint(heirs())
            ):
                continue
        done_lines.add(row)  # only the first qualifying identifier of a line
        truth = lines[row][column:].rstrip()
        if not (MIN_TRUTH_CHARS <= len(truth) <= MAX_TRUTH_CHARS):
            continue
        offset = line_starts[row] + column
        line_end = line_starts[row] + len(lines[row])
        buffer = text[:offset] + text[line_end:]
        tasks.append(
            LineTask(
                path=rel,
                line=row,
                column=column,
                offset=offset,
                buffer=buffer,
                truth=truth,
                symbol=name,
                defined_in=defined_in,
                member=member,
            )
        )
    return tasks


def _imported_files(index: WorkspaceIndex, path: Path) -> set[str]:
    """The workspace files (relative paths) whose names `path` sees through its imports, plus
    those it sees without one (its Go or Java package, its C# namespace)."""
    paths = [*index.imports_of(path), *index.package_files(path)]
    return {r for r in (index.relpath(p) for p in paths) if r is not None}


class _Verdict(NamedTuple):
    """What a name's definitions in other files require of a use of it to be a task."""

    files: tuple[str, ...]  # the other files that define it
    where: str  # CALLED when all are functions, methods or macros, QUALIFIED when all are
    # fields or variables, else ANYWHERE
    owners: frozenset[str]  # the types they are members of, when all are members; else empty


def _cross_file(index: WorkspaceIndex, name: str, rel: str, own_names: set[str]) -> _Verdict | None:
    """The verdict on `name`; None when it is local, unknown or too generic."""
    if len(name) < 2 or name in own_names:
        return None
    defs = index.definitions(name)
    if not defs or any(d.path == rel for d in defs):
        return None
    kept = [d for d in defs if not d.path.endswith(_SKIPPED_SUFFIXES)]
    files = tuple(sorted({d.path for d in kept}))
    if not files or len(files) > MAX_DEFINITIONS:
        return None
    owners = frozenset(d.container for d in kept) if all(d.container for d in kept) else frozenset()
    if all(d.kind in _CALLABLE_KINDS for d in kept):
        return _Verdict(files, CALLED, owners)
    if all(d.kind in _MEMBER_KINDS for d in kept):
        return _Verdict(files, QUALIFIED, owners)
    return _Verdict(files, ANYWHERE, owners)


def extract_tasks(
    index: WorkspaceIndex,
    *,
    per_repo: int,
    per_file: int = 3,
    seed: int = 0,
) -> list[LineTask]:
    """A seeded sample of at most `per_file` tasks per file and `per_repo` in all, sorted by
    (path, line) so consecutive requests share a file, as they would in an editor."""
    rng = random.Random(f"infilld-quality:{seed}")
    pool: list[LineTask] = []
    for path in index.files():
        text = index.read_text(path)
        if text is None:
            continue
        found = candidate_tasks(index, path, text)
        if len(found) > per_file:
            found = rng.sample(found, per_file)
        pool.extend(found)
    if len(pool) > per_repo:
        pool = rng.sample(pool, per_repo)
    return sorted(pool, key=lambda t: (t.path, t.line))


__all__ = ["LineTask", "candidate_tasks", "extract_tasks"]
