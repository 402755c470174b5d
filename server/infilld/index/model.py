"""The index's records: symbols, imports and per-file entries (msgspec Structs, also the cache schema).

Paths inside records are workspace-relative POSIX strings, so a persisted index does not depend on
where the checkout lives and snippets can show them as they are.
"""

from __future__ import annotations

import msgspec


class Symbol(msgspec.Struct, frozen=True):
    """A definition in a workspace file. Lines are 0-based and inclusive."""

    name: str
    # function, method, class, interface, type, enum, constant, variable, field, module (Rust's
    # `mod`, TS's `namespace`), namespace (C#, PHP, C++: a scope, never a container), macro
    kind: str
    path: str  # relative to the workspace root, POSIX separators
    start_line: int
    end_line: int
    signature: str  # header line(s) as written, indentation kept
    doc: str = ""  # docstring or leading comment as written
    doc_after: bool = False  # the doc belongs after the signature (Python docstrings)
    body: str = ""  # the whole definition when it is small, else ""
    container: str = ""  # enclosing definition's name ("" at top level or in a namespace)

    @property
    def is_public(self) -> bool:
        return not self.name.startswith("_")

    def stub(self) -> str:
        """Signature and doc in source order: what an API summary shows for this symbol."""
        if not self.doc:
            return self.signature
        if self.doc_after:
            return f"{self.signature}\n{self.doc}"
        return f"{self.doc}\n{self.signature}"

    def stub_end_line(self) -> int:
        """The file line `stub()`'s text ends on: the signature's last line, or the doc's when the
        doc comes after it (a doc written above the signature, as JSDoc is, ends before it)."""
        end = self.start_line + len(self.signature.splitlines()) - 1
        return end + len(self.doc.splitlines()) if self.doc_after else end


class ImportSpec(msgspec.Struct, frozen=True):
    """An import as written; resolved to files lazily, because resolution depends on which files
    exist and they come and go independently of the importing file."""

    source: str
    names: tuple[str, ...] = ()
    line: int = 0
    kind: str = "import"  # import | wildcard | module | global


class JsConfig(msgspec.Struct, frozen=True):
    """One config file's aliases: (pattern, targets) with targets relative to the workspace root,
    `*` in both where the pattern has one; `extends` another config's workspace path, or ""."""

    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extends: str = ""
    sets_aliases: bool = False  # it says paths or baseUrl itself (else the extended ones hold)


class JsPackage(msgspec.Struct, frozen=True):
    """A package.json of the workspace: the package's name, and the workspace paths an import of
    the bare name may mean, best first (resolution tries each with the JS/TS extensions, and a
    `.js` path as its `.ts` source)."""

    name: str = ""
    entries: tuple[str, ...] = ()


class FileEntry(msgspec.Struct):
    """What the index knows about one file, and the fingerprint that says when to re-read it."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str
    language: str | None
    symbols: list[Symbol] = []
    imports: list[ImportSpec] = []
    go_module: str = ""  # for go.mod files: the module path they declare
    js_config: JsConfig | None = None  # for tsconfig.json / jsconfig.json: their path aliases
    js_package: JsPackage | None = None  # for package.json: the package it names
    # for Cargo.toml: the library crate's name as `use` paths write it, and its root file
    rust_crate: str = ""
    rust_crate_src: str = ""


class CacheFile(msgspec.Struct):
    """The persisted index. Any mismatch in version, root or grammar fingerprint discards it."""

    version: int
    root: str
    grammars: str
    files: list[FileEntry]
