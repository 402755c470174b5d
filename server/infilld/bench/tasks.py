"""Line-completion tasks mined from a repository: finish a line that uses another file's symbol.

A task puts the cursor just before the first identifier on a line that names a symbol defined in
another file of the repository (and not in the line's own file), and asks for the rest of that
line. The name must also be imported by name into the line's file (`from .items import RunItem`,
`import { Collection } from "./collection"`): a bare name that merely matches a definition
elsewhere (`type`, `connect`, a local variable `handoff`) is usually something else.
Attribute and property positions (`x.connect`) are skipped for the same reason. Definition headers, import statements, comments and short lines are never used. The buffer
handed to the engine is the file with the rest of that line removed, so neither the prompt nor
the index (which must be fed the buffer) can see the answer; the same line elsewhere in the
repository is fair game, because finding it is what repository context is for.

Sampling is seeded and capped per file and per repository, so a run is repeatable.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec
from tree_sitter import Node, QueryCursor, Tree

from infilld.index import Symbol, WorkspaceIndex
from infilld.syntax import LoadedLanguage, language_for_path, parse
from infilld.syntax import imports as extract_imports

# Only languages whose references and imports queries the benchmark was checked against.
TASK_LANGUAGES = frozenset({"python", "typescript", "typescriptreact", "javascript"})
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


def _comment_lines(tree: Tree) -> set[int]:
    """Lines that hold a comment (tree-sitter's `comment` nodes), whole or trailing."""
    lines: set[int] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            lines.update(range(node.start_point.row, node.end_point.row + 1))
        stack.extend(node.children)
    return lines


# (parent type, field) pairs where an identifier names a member or an argument, not a symbol.
_MEMBER_FIELDS = (
    ("attribute", "attribute"),  # Python x.name
    ("member_expression", "property"),  # JS/TS x.name
    ("keyword_argument", "name"),  # Python f(name=...)
    ("pair", "key"),  # JS/TS { name: ... }
)


def _is_member_position(node: Node) -> bool:
    parent = node.parent
    if parent is None:
        return False
    for parent_type, field in _MEMBER_FIELDS:
        if parent.type == parent_type:
            child = parent.child_by_field_name(field)
            if child is not None and child.start_byte == node.start_byte:
                return True
    return False


def _node_name(node: Node) -> str:
    data = node.text
    return data.decode("utf-8", errors="replace") if data is not None else ""


def candidate_tasks(index: WorkspaceIndex, path: Path, text: str) -> list[LineTask]:
    """All tasks a file offers, in line order (see the module docstring for the rules)."""
    rel = index.relpath(path)
    language = language_for_path(path)
    if rel is None or language is None or language.id not in TASK_LANGUAGES:
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
    imported_names = {name for ref in extract_imports(tree, language) for name in ref.names}
    excluded = (
        _import_lines(tree, language)
        | _header_lines(index.file_symbols(path))
        | _comment_lines(tree)
    )
    tasks: list[LineTask] = []
    done_lines: set[int] = set()
    verdicts: dict[str, tuple[str, ...] | None] = {}
    for node in _references(tree, language):
        row = node.start_point.row
        if row in done_lines or row in excluded or node.end_point.row != row:
            continue
        if row >= len(lines) or len(lines[row].strip()) < MIN_LINE_CHARS:
            continue
        name = _node_name(node)
        if name not in imported_names or _is_member_position(node):
            continue
        if name not in verdicts:
            verdicts[name] = _cross_file(index, name, rel, own_names)
        defined_in = verdicts[name]
        if defined_in is None:
            continue
        done_lines.add(row)  # only the first qualifying identifier of a line
        column = len(line_bytes[row][: node.start_point.column].decode("utf-8", errors="replace"))
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
            )
        )
    return tasks


def _cross_file(
    index: WorkspaceIndex, name: str, rel: str, own_names: set[str]
) -> tuple[str, ...] | None:
    """The other files defining `name`, or None when it is local, unknown or too generic."""
    if len(name) < 2 or name in own_names:
        return None
    defs = index.definitions(name)
    if not defs or any(d.path == rel for d in defs):
        return None
    files = tuple(sorted({d.path for d in defs if not d.path.endswith(_SKIPPED_SUFFIXES)}))
    if not files or len(files) > MAX_DEFINITIONS:
        return None
    return files


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
