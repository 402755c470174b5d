"""Workspace index: walk (.gitignore-aware), parse with tree-sitter, persist (msgspec), watch.

Plain core code: no pygls, no llama. The engine asks it for definitions, per-file symbols and
resolved imports; the LSP layer feeds it editor buffers.
"""

from infilld.index.model import FileEntry, ImportSpec, Symbol
from infilld.index.workspace import IndexStats, WorkspaceIndex

__all__ = ["FileEntry", "ImportSpec", "IndexStats", "Symbol", "WorkspaceIndex"]
