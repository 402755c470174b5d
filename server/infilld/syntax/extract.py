"""Run a language's queries over a tree: definitions (with signature and doc), imports, references.

Capture conventions (see grammars/queries/*/*.scm):
  definitions.scm  @name, @definition.<kind>; the first pattern matching a node decides its kind
  imports.scm      @import (statement), @import.source, @import.name, @import.module (Rust `mod x;`)
  references.scm   @reference
Captures starting with `_` are helpers for predicates and are ignored here.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node, QueryCursor, Tree

from infilld.syntax.languages import LoadedLanguage

# Kinds whose value is the header, with members listed separately (the body is code, not API).
_HEADER_KINDS = frozenset({"function", "method", "class", "module", "namespace"})
# A namespace (C#, PHP, C++) only names a scope: what it holds is reached through a using or an
# import, never through it as an object, so it is no definition's container.
_SCOPE_ONLY_KINDS = frozenset({"namespace"})
# Wrappers whose extent belongs to the definition they wrap (decorators, `export`, templates).
_WRAPPERS = frozenset({"decorated_definition", "export_statement", "template_declaration"})
# Siblings that may sit between a doc comment and its definition.
_ATTRIBUTES = frozenset({"attribute_item", "attribute_list", "decorator", "annotation"})
MAX_SIGNATURE_LINES = 8
MAX_WHOLE_LINES = 15
MAX_DOC_LINES = 8


@dataclass(frozen=True)
class Definition:
    """One definition found in a file. Lines are 0-based and inclusive."""

    name: str
    kind: str
    start_line: int
    end_line: int
    start_byte: int
    end_byte: int
    signature: str  # header lines as written (with indentation), or the whole node if short
    doc: str  # docstring or leading comment lines as written; "" if none
    doc_after: bool  # True when the doc sits inside the body (Python docstrings)
    text: str  # the whole definition, wrappers (decorators, `export`) included
    container: str  # name of the enclosing definition ("" at top level or in a namespace)


@dataclass(frozen=True)
class ImportRef:
    """One imported module or file, as written in the source."""

    source: str  # quotes stripped; Python relative imports keep their dots
    names: tuple[str, ...]  # names imported from it (`from m import a, b`), if the syntax says
    line: int
    # "import", "wildcard" (`import x.*`, `from m import *`), "module" (`mod x;`) or "global"
    # (C#'s `global using A.B;`, which holds in every file of the project)
    kind: str


def _text(node: Node) -> str:
    data = node.text
    return data.decode("utf-8", errors="replace") if data is not None else ""


def _line_start(source: bytes, byte: int) -> int:
    return source.rfind(b"\n", 0, byte) + 1


def _clip_lines(text: str, limit: int) -> str:
    lines = text.splitlines()
    return "\n".join(lines[:limit]) if len(lines) > limit else text


def _outer(node: Node) -> Node:
    """The node plus wrappers that belong to it (`@decorator`, `export`, `template<...>`)."""
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
    return node


def _signature(node: Node, outer: Node, kind: str, source: bytes) -> str:
    start = _line_start(source, outer.start_byte)  # decorators and `export` belong to it
    body = node.child_by_field_name("body")
    if kind in _HEADER_KINDS and body is not None and body.start_byte > node.start_byte:
        header = source[start : body.start_byte].decode("utf-8", errors="replace").rstrip()
        return _clip_lines(header, MAX_SIGNATURE_LINES)
    whole = source[start : node.end_byte].decode("utf-8", errors="replace").rstrip()
    return _clip_lines(whole, MAX_WHOLE_LINES)


def _python_docstring(node: Node, source: bytes) -> str:
    body = node.child_by_field_name("body")
    if body is None or body.named_child_count == 0:
        return ""
    first = body.named_children[0]
    is_docstring = (
        first.type == "expression_statement"
        and first.named_child_count > 0
        and first.named_children[0].type == "string"
    )
    if not is_docstring:
        return ""
    start = _line_start(source, first.start_byte)
    doc = source[start : first.end_byte].decode("utf-8", errors="replace")
    lines = doc.splitlines()
    if len(lines) <= MAX_DOC_LINES:
        return doc
    # Clipped, the docstring must still close, or everything shown after it (method signatures in
    # the context block) would read as the inside of a string.
    quote = next((q for q in ('"""', "'''") if q in lines[0]), "")
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    return "\n".join([*lines[: MAX_DOC_LINES - 1], f"{indent}...{quote}"])


def _leading_comment(node: Node, source: bytes) -> str:
    """Comment lines directly above the node (no blank line between), as written."""
    first_row = node.start_point.row
    sibling = node.prev_sibling
    top: Node | None = None
    while sibling is not None:
        if sibling.type in _ATTRIBUTES and sibling.end_point.row >= first_row - 1:
            first_row = sibling.start_point.row
        elif "comment" in sibling.type and sibling.end_point.row >= first_row - 1:
            top = sibling
            first_row = sibling.start_point.row
        else:
            break
        sibling = sibling.prev_sibling
    if top is None:
        return ""
    start = _line_start(source, top.start_byte)
    end = top.end_byte
    # The last comment seen from below is `top`; the block ends at the comment nearest the node.
    cursor = top
    while cursor.next_sibling is not None and "comment" in cursor.next_sibling.type:
        cursor = cursor.next_sibling
        end = cursor.end_byte
    doc = source[start:end].decode("utf-8", errors="replace")
    lines = doc.splitlines()
    if len(lines) <= MAX_DOC_LINES:
        return doc
    # Keep the lines nearest the definition, and a block comment's opening line so it stays one.
    if lines[0].lstrip().startswith("/*") and "*/" not in lines[0]:
        return "\n".join([lines[0], *lines[-(MAX_DOC_LINES - 1) :]])
    return "\n".join(lines[-MAX_DOC_LINES:])


def definitions(tree: Tree, language: LoadedLanguage, source: bytes) -> list[Definition]:
    """Every definition the language's query finds, in source order, one per node."""
    query = language.queries.get("definitions")
    if query is None:
        return []
    chosen: dict[tuple[int, int], tuple[int, str, Node, Node, Node | None]] = {}
    for pattern, caps in QueryCursor(query).matches(tree.root_node):
        names = caps.get("name")
        if not names:
            continue
        # A pattern may name the container itself (`Runner` in `Runner.prototype.run = ...`),
        # where the definition does not sit inside it.
        containers = caps.get("container")
        container = containers[0] if containers else None
        for cap, nodes in caps.items():
            if not cap.startswith("definition.") or not nodes:
                continue
            node = nodes[0]
            key = (node.start_byte, node.end_byte)
            if key not in chosen or pattern < chosen[key][0]:
                kind = cap.removeprefix("definition.")
                chosen[key] = (pattern, kind, node, names[0], container)
    found: list[Definition] = []
    is_python = language.spec.queries_dir == "python"
    stack: list[Definition] = []  # enclosing definitions, to name each one's container
    for _key, (_pattern, kind, node, name_node, container_node) in sorted(chosen.items()):
        outer = _outer(node)
        doc = _python_docstring(node, source) if is_python else ""
        doc_after = bool(doc)
        if not doc:
            doc = _leading_comment(outer, source)
        while stack and stack[-1].end_byte <= node.start_byte:
            stack.pop()
        definition = Definition(
            name=_text(name_node),
            kind=kind,
            start_line=outer.start_point.row,
            end_line=outer.end_point.row,
            start_byte=outer.start_byte,
            end_byte=outer.end_byte,
            signature=_signature(node, outer, kind, source),
            doc=doc,
            doc_after=doc_after,
            text=source[_line_start(source, outer.start_byte) : outer.end_byte].decode(
                "utf-8", errors="replace"
            ),
            container=(
                _text(container_node)
                if container_node is not None
                else (stack[-1].name if stack else "")
            ),
        )
        found.append(definition)
        if kind not in _SCOPE_ONLY_KINDS:
            stack.append(definition)
    return found


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in "\"'`<" and text[-1] in "\"'`>":
        return text[1:-1]
    return text


def imports(tree: Tree, language: LoadedLanguage) -> list[ImportRef]:
    """Imported modules/files per statement, in source order, names merged per (statement, source)."""
    query = language.queries.get("imports")
    if query is None:
        return []
    grouped: dict[tuple[int, str, str], tuple[int, list[str]]] = {}
    for _pattern, caps in QueryCursor(query).matches(tree.root_node):
        statements = caps.get("import")
        if not statements:
            continue
        stmt = statements[0]
        stmt_text = _text(stmt).strip().rstrip(";").rstrip()
        names = [_text(n) for n in caps.get("import.name", [])]
        for node in caps.get("import.source", []):
            kind = "wildcard" if stmt_text.endswith("*") else "import"
            if stmt_text.startswith("global using"):
                kind = "global"  # C# 10: every file of the project has it
            # Keyed by the source's own node: patterns that see one import as different
            # statements (`const { a } = require("./x")`: the declaration and the call) merge.
            key = (node.start_byte, _unquote(_text(node)), kind)
            row, merged = grouped.setdefault(key, (stmt.start_point.row, []))
            merged.extend(n for n in names if n not in merged)
            grouped[key] = (min(row, stmt.start_point.row), merged)
        for node in caps.get("import.module", []):
            key = (stmt.start_byte, _text(node), "module")
            grouped.setdefault(key, (stmt.start_point.row, []))
    return [
        ImportRef(source=source, names=tuple(names), line=line, kind=kind)
        for (_start, source, kind), (line, names) in sorted(grouped.items())
    ]


def references(
    tree: Tree, language: LoadedLanguage, start_byte: int = 0, end_byte: int | None = None
) -> list[str]:
    """Identifiers used in [start_byte, end_byte), in source order, repeats kept."""
    query = language.queries.get("references")
    if query is None:
        return []
    cursor = QueryCursor(query)
    if start_byte or end_byte is not None:
        cursor.set_byte_range(
            start_byte, end_byte if end_byte is not None else tree.root_node.end_byte
        )
    nodes: list[Node] = []
    for cap, captured in cursor.captures(tree.root_node).items():
        if not cap.startswith("_"):
            nodes.extend(captured)
    nodes.sort(key=lambda n: n.start_byte)
    return [_text(n) for n in nodes]
