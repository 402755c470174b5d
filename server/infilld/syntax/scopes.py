"""Questions the completion engine asks about a cursor position.

Which functions/classes enclose it, which identifiers are near it, whether it sits inside a
string or comment. The node types are the union over the supported grammars, so these work for
any tree without knowing its language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node, Tree

# Nodes that define a function or method (what "the enclosing function" means).
FUNCTION_TYPES = frozenset(
    {
        "function_definition",
        "function_declaration",
        "function_item",
        "function_expression",
        "arrow_function",
        "generator_function_declaration",
        "method_definition",
        "method_declaration",
        "constructor_declaration",
        "local_function_statement",
    }
)
# Nodes that open a named scope worth mentioning to the model (functions, types, modules).
SCOPE_TYPES = FUNCTION_TYPES | frozenset(
    {
        "class_definition",
        "class_declaration",
        "abstract_class_declaration",
        "class_specifier",
        "struct_specifier",
        "struct_item",
        "struct_declaration",
        "record_declaration",
        "enum_declaration",
        "enum_item",
        "interface_declaration",
        "trait_item",
        "trait_declaration",
        "impl_item",
        "mod_item",
        "internal_module",
        "namespace_definition",
        "namespace_declaration",
    }
)
_STRING_TYPES = frozenset(
    {
        "string",
        "string_literal",
        "raw_string_literal",
        "interpreted_string_literal",
        "char_literal",
        "character_literal",
        "template_string",
        "string_content",
        "raw_string",
        "heredoc_body",
        "heredoc",
        "nowdoc",
        "encapsed_string",
        "verbatim_string_literal",
        "interpolated_string_expression",
        "system_lib_string",
        "concatenated_string",
    }
)
# Code nested inside a string (f"{x}", `${x}`, "$x"): the cursor there is in code again.
_INTERPOLATION_TYPES = frozenset(
    {
        "interpolation",
        "template_substitution",
        "string_interpolation",
        "simple_expansion",
        "expansion",
        "command_substitution",
        "interpolation_brace",
    }
)
_IDENTIFIER = re.compile(r"[^\W\d]\w*")


@dataclass(frozen=True)
class Scope:
    """A function/class/module around the cursor. Lines are 0-based and inclusive."""

    kind: str  # the tree-sitter node type, e.g. "function_definition"
    name: str  # "" for anonymous functions
    start_byte: int
    end_byte: int
    start_line: int
    end_line: int


def char_to_byte(text: str, offset: int) -> int:
    """The UTF-8 byte offset of character index `offset` in `text`."""
    offset = max(0, min(offset, len(text)))
    return len(text[:offset].encode("utf-8", errors="replace"))


def _node_text(node: Node) -> str:
    data = node.text
    return data.decode("utf-8", errors="replace") if data is not None else ""


def _scope_name(node: Node) -> str:
    # A Rust impl block is named by its `type`; elsewhere `type` is a return type.
    child = node.child_by_field_name("type" if node.type == "impl_item" else "name")
    if child is not None:
        return _node_text(child)
    declarator = node.child_by_field_name("declarator")  # C/C++: int *f(void)
    while declarator is not None:
        if declarator.type in {"identifier", "field_identifier", "qualified_identifier"}:
            return _node_text(declarator)
        declarator = declarator.child_by_field_name("declarator") or (
            declarator.named_children[0] if declarator.named_child_count else None
        )
    parent = node.parent  # const f = () => ...
    if parent is not None and parent.type == "variable_declarator":
        child = parent.child_by_field_name("name")
        if child is not None:
            return _node_text(child)
    return ""


def enclosing_scopes(tree: Tree, byte_offset: int) -> list[Scope]:
    """The scopes containing `byte_offset`, outermost first."""
    node: Node | None = tree.root_node.descendant_for_byte_range(byte_offset, byte_offset)
    scopes: list[Scope] = []
    while node is not None:
        if node.type in SCOPE_TYPES and node.start_byte < byte_offset <= node.end_byte:
            scopes.append(
                Scope(
                    kind=node.type,
                    name=_scope_name(node),
                    start_byte=node.start_byte,
                    end_byte=node.end_byte,
                    start_line=node.start_point.row,
                    end_line=node.end_point.row,
                )
            )
        node = node.parent
    scopes.reverse()
    return scopes


def is_inside_string_or_comment(tree: Tree, byte_offset: int) -> bool:
    """True when the cursor is inside a string literal or a comment (not an interpolation)."""
    # Look at the node just left of the cursor too: at the end of a line comment the smallest
    # node *at* the offset is the enclosing block, not the comment that ends there.
    for probe in (byte_offset, max(0, byte_offset - 1)):
        node: Node | None = tree.root_node.descendant_for_byte_range(probe, probe)
        while node is not None:
            if node.type in _INTERPOLATION_TYPES and node.start_byte < byte_offset < node.end_byte:
                return False
            if "comment" in node.type and node.start_byte < byte_offset <= node.end_byte:
                # A block comment's end is its closing delimiter: past it we are in code.
                text = _node_text(node)
                closed = text.endswith("*/") or text.endswith("-->")
                return byte_offset < node.end_byte or not closed
            if node.type in _STRING_TYPES and node.start_byte < byte_offset < node.end_byte:
                return True
            node = node.parent
    return False


def identifiers_near(text: str, offset: int, *, radius_lines: int = 8) -> list[str]:
    """Identifiers within `radius_lines` lines of the cursor, nearest first, each once.

    Plain regex, no tree: it must work for languages without a grammar and for half-typed code.
    """
    offset = max(0, min(offset, len(text)))
    start = offset
    for _ in range(radius_lines + 1):
        start = text.rfind("\n", 0, start)
        if start <= 0:
            start = 0
            break
    end = offset
    for _ in range(radius_lines + 1):
        end = text.find("\n", end + 1)
        if end < 0:
            end = len(text)
            break
    found: dict[str, int] = {}
    for match in _IDENTIFIER.finditer(text, start, end):
        distance = (
            0
            if match.start() <= offset <= match.end()
            else min(abs(match.start() - offset), abs(match.end() - offset))
        )
        name = match.group()
        if name not in found or distance < found[name]:
            found[name] = distance
    return sorted(found, key=lambda n: (found[n], n))
