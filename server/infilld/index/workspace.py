"""The workspace index: symbols and imports of every source file, kept fresh and persisted.

Threads: `build` and the watcher write from background threads, the LSP layer writes buffers from
the event loop, the context selector reads from a worker. `_lock` guards the maps and is only
held for dictionary work; parsing happens outside it. `_write_lock` serialises the writers that
walk the disk (build, refresh) so a slow build cannot overwrite a newer refresh with stale data.
Unsaved editor buffers are stored as text and parsed lazily by the next reader, so
`update_buffer` stays cheap enough for every keystroke.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from infilld.index import store
from infilld.index.ignore import IgnoreRules
from infilld.index.manifests import (
    GO_MOD,
    MANIFEST_KINDS,
    MANIFEST_LANGUAGES,
    effective_aliases,
    manifest_entry,
)
from infilld.index.model import FileEntry, ImportSpec, JsConfig, Symbol
from infilld.index.resolve import (
    FileSet,
    csharp_global_usings,
    csharp_namespaces,
    package_siblings,
    resolve_imports,
)
from infilld.index.walk import (
    MANIFEST_NAMES,
    VENDORED_DIRS,
    FoundFile,
    decode,
    is_within,
    sniff_skip_reason,
    walk,
)
from infilld.syntax import TreeCache, default_table
from infilld.syntax import definitions as extract_definitions
from infilld.syntax import imports as extract_imports
from infilld.syntax.languages import LanguageTable

log = logging.getLogger(__name__)

# Definitions up to this size are kept whole: a short body says more than its signature.
SMALL_BODY_LINES = 20
SMALL_BODY_CHARS = 1500
DISK_LOG = 4096  # disk changes remembered by file (disk_changed_since); a checkout may be more
_APPLY_BATCH = 256  # a cold build publishes results in batches so early requests see some


@dataclass
class IndexStats:
    """Counters for diagnostics and tests (how much work the last operations did)."""

    parsed: int = 0  # files parsed (cache misses)
    reused: int = 0  # files taken from the persisted or in-memory index unchanged
    skipped: int = 0  # binary, minified, unreadable or vanished files


@dataclass
class _Buffer:
    text: str
    content_hash: str
    entry: FileEntry | None = None  # parsed lazily


def _hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class WorkspaceIndex:
    """Symbols, imports and fingerprints for the files under `root`."""

    def __init__(
        self,
        root: Path,
        *,
        max_files: int = 20000,
        max_file_bytes: int = 1_000_000,
        cache_dir: Path | None = None,
        languages: LanguageTable | None = None,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self._real_root = Path(os.path.realpath(root))
        self.max_files = max_files
        self.max_file_bytes = max_file_bytes
        self.languages = languages or default_table()
        self.cache_file = store.cache_path(cache_dir or store.default_cache_dir(), self.root)
        self.stats = IndexStats()
        self._ignore = IgnoreRules(self.root)
        self._trees = TreeCache(max_entries=4)  # the index parses each file once; keep it small
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._disk: dict[str, FileEntry] = {}
        self._buffers: dict[str, _Buffer] = {}
        self._names: dict[str, dict[str, list[Symbol]]] = {}  # name -> rel -> symbols
        self._fileset: FileSet | None = None
        self._resolved: dict[str, list[str]] = {}
        self._generation = 0
        self._disk_generation = 0
        # The files of the last DISK_LOG disk changes, oldest first (the last is the current
        # generation's), so a reader can tell which files changed since a generation it saw.
        self._disk_log: deque[str] = deque(maxlen=DISK_LOG)
        self._cache_loaded = False
        self._dirty = False  # disk entries changed since the last save
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    # ----------------------------------------------------------------- paths

    def relpath(self, path: Path | str) -> str | None:
        """The workspace-relative POSIX path, or None for a path outside the workspace."""
        p = Path(os.path.abspath(path))
        for root in (self.root, self._real_root):
            try:
                rel = p.relative_to(root).as_posix()
            except ValueError:
                continue
            return "" if rel == "." else rel
        real = Path(os.path.realpath(p))
        if is_within(real, self._real_root):
            return real.relative_to(self._real_root).as_posix()
        return None

    def abspath(self, rel: str) -> Path:
        return self.root / rel

    def _wanted_name(self, name: str) -> bool:
        return name in MANIFEST_NAMES or self.languages.spec_for_path(Path(name)) is not None

    def _should_index(self, rel: str) -> bool:
        parts = rel.split("/")
        if not rel or any(part in VENDORED_DIRS for part in parts[:-1]):
            return False
        return self._wanted_name(parts[-1]) and not self._ignore.is_ignored(rel)

    # ----------------------------------------------------------------- parsing

    def _language_id(self, rel: str, text: str | None = None) -> str | None:
        """The language of `rel`, by its name, and by `text` where the name is ambiguous (a
        C++ header named .h)."""
        manifest = MANIFEST_KINDS.get(rel.rpartition("/")[2])
        if manifest is not None:
            return manifest
        if text is None:
            spec = self.languages.spec_for_path(Path(rel))
        else:
            spec = self.languages.spec_for_source(Path(rel), text)
        return spec.id if spec is not None else None

    def _make_entry(self, rel: str, data: bytes, size: int, mtime_ns: int) -> FileEntry:
        """Parse one file's content into an entry (no locks held; the expensive part)."""
        content_hash = _hash(data)
        text = decode(data)
        language_id = self._language_id(rel, text)
        if language_id in MANIFEST_LANGUAGES:
            return manifest_entry(FileEntry(rel, size, mtime_ns, content_hash, language_id), text)
        loaded = self.languages.load(language_id) if language_id else None
        if loaded is None:
            return FileEntry(rel, size, mtime_ns, content_hash, language_id)
        source = text.encode("utf-8")
        self.stats.parsed += 1
        try:
            tree = self._trees.parse(source, loaded)
            found = extract_definitions(tree, loaded, source)
            refs = extract_imports(tree, loaded)
        except Exception:  # a grammar bug must cost one file, not the index
            log.exception("cannot extract symbols from %s", rel)
            return FileEntry(rel, size, mtime_ns, content_hash, language_id)
        symbols = [
            Symbol(
                name=d.name,
                kind=d.kind,
                path=rel,
                start_line=d.start_line,
                end_line=d.end_line,
                signature=d.signature,
                doc=d.doc,
                doc_after=d.doc_after,
                body=d.text
                if d.end_line - d.start_line < SMALL_BODY_LINES and len(d.text) <= SMALL_BODY_CHARS
                else "",
                container=d.container,
            )
            for d in found
        ]
        imports = [ImportSpec(r.source, r.names, r.line, r.kind) for r in refs]
        return FileEntry(rel, size, mtime_ns, content_hash, language_id, symbols, imports)

    def _read_entry(
        self, found: FoundFile, previous: FileEntry | None
    ) -> tuple[FileEntry | None, bool]:
        """(entry, reused) for a file on disk; (None, False) when it must not be indexed."""
        if (
            previous is not None
            and previous.size == found.size
            and previous.mtime_ns == found.mtime_ns
        ):
            return previous, True
        try:
            with open(found.path, "rb") as fh:
                data = fh.read(self.max_file_bytes + 1)
        except OSError:
            return None, False  # vanished or unreadable since the walk saw it
        if len(data) > self.max_file_bytes:
            return None, False
        reason = sniff_skip_reason(data)
        if reason is not None:
            log.debug("skipping %s: %s", found.rel, reason)
            return None, False
        if previous is not None and previous.content_hash == _hash(data):
            # Touched but unchanged (checkout, build tools): keep the parse, learn the new stat.
            return FileEntry(
                previous.path,
                found.size,
                found.mtime_ns,
                previous.content_hash,
                previous.language,
                previous.symbols,
                previous.imports,
                previous.go_module,
                previous.js_config,
                previous.js_package,
                previous.rust_crate,
                previous.rust_crate_src,
            ), True
        return self._make_entry(found.rel, data, found.size, found.mtime_ns), False

    # ----------------------------------------------------------------- map upkeep (under _lock)

    def _effective(self, rel: str) -> FileEntry | None:
        buffer = self._buffers.get(rel)
        if buffer is not None and buffer.entry is not None:
            return buffer.entry
        return self._disk.get(rel)

    def _index_names(self, rel: str, old: FileEntry | None, new: FileEntry | None) -> None:
        if old is not None:
            for sym in old.symbols:
                per_file = self._names.get(sym.name)
                if per_file is not None:
                    per_file.pop(rel, None)
                    if not per_file:
                        del self._names[sym.name]
        if new is not None:
            for sym in new.symbols:
                self._names.setdefault(sym.name, {}).setdefault(rel, []).append(sym)

    def _changed(self, rel: str, old: FileEntry | None, new: FileEntry | None) -> None:
        """Bookkeeping after `rel`'s effective entry went from old to new."""
        if old is new:
            return
        self._index_names(rel, old, new)
        self._resolved.pop(rel, None)
        if _reshapes_file_set(old, new):
            self._fileset = None  # every resolution may change
            self._resolved.clear()
        if old is None or new is None or old.content_hash != new.content_hash:
            self._generation += 1

    def _set_disk(self, rel: str, entry: FileEntry | None) -> None:
        old_disk = self._disk.get(rel)
        if entry is old_disk:
            return
        if old_disk is not None and entry is not None and _same(old_disk, entry):
            self._disk[rel] = entry  # new fingerprint, same content: nothing to announce
            self._dirty = True
            return
        before = self._effective(rel)
        if entry is None:
            self._disk.pop(rel, None)
        else:
            self._disk[rel] = entry
        self._dirty = True
        self._disk_generation += 1
        self._disk_log.append(rel)
        self._changed(rel, before, self._effective(rel))

    def _flush_buffers(self) -> None:
        """Parse buffers that changed since the last reader looked (outside the lock)."""
        with self._lock:
            pending = [
                (rel, b.text, b.content_hash) for rel, b in self._buffers.items() if not b.entry
            ]
        for rel, text, content_hash in pending:
            data = text.encode("utf-8", errors="replace")
            entry = self._make_entry(rel, data, len(data), 0)
            with self._lock:
                buffer = self._buffers.get(rel)
                if buffer is None or buffer.content_hash != content_hash:
                    continue  # edited again meanwhile: the next reader parses the newer text
                before = self._effective(rel)
                buffer.entry = entry
                self._index_names(rel, before, entry)
                self._resolved.pop(rel, None)
                if _reshapes_file_set(before, entry):
                    self._fileset = None
                    self._resolved.clear()

    # ----------------------------------------------------------------- writers

    def build(self) -> None:
        """Walk the workspace and bring the index up to date (blocking; run it on a thread).

        The persisted cache is loaded first; unchanged files cost one stat each.
        """
        with self._write_lock:
            self._load_cache()
            self._ignore.invalidate()
            with self._lock:
                previous = dict(self._disk)
            seen: set[str] = set()
            batch: list[tuple[str, FileEntry]] = []
            sources = 0
            walker = walk(
                self.root, self._ignore, self._wanted_name, max_file_bytes=self.max_file_bytes
            )
            for found in walker:
                if found.rel.rpartition("/")[2] not in MANIFEST_NAMES:
                    if sources >= self.max_files:
                        log.warning(
                            "%s has more than %d source files; indexing only the first %d "
                            "(raise max_files to index more)",
                            self.root,
                            self.max_files,
                            self.max_files,
                        )
                        break
                    sources += 1
                entry, reused = self._read_entry(found, previous.get(found.rel))
                if entry is None:
                    self.stats.skipped += 1
                    continue
                if reused:
                    self.stats.reused += 1
                seen.add(found.rel)
                batch.append((found.rel, entry))
                if len(batch) >= _APPLY_BATCH:
                    self._apply(batch)
                    batch = []
            self._apply(batch)
            with self._lock:
                for rel in [r for r in self._disk if r not in seen]:
                    self._set_disk(rel, None)
            self._save_if_dirty()

    def _apply(self, batch: list[tuple[str, FileEntry]]) -> None:
        with self._lock:
            for rel, entry in batch:
                self._set_disk(rel, entry)

    def _load_cache(self) -> None:
        if self._cache_loaded:
            return
        self._cache_loaded = True
        cached = store.load(self.cache_file, self.root, self.languages.fingerprint)
        if not cached:
            return
        with self._lock:
            for rel, entry in cached.items():
                if rel not in self._disk:
                    self._set_disk(rel, entry)
            self._dirty = False  # it came from the cache: nothing new to write

    def _save_if_dirty(self) -> None:
        with self._lock:
            if not self._dirty:
                return
            entries = [self._disk[rel] for rel in sorted(self._disk)]
            self._dirty = False
        store.save(self.cache_file, self.root, self.languages.fingerprint, entries)

    def refresh_paths(self, paths: Iterable[Path]) -> None:
        """Re-read changed files and drop deleted ones (from the file watcher or didSave)."""
        rebuild = False
        with self._write_lock:
            for path in paths:
                rel = self.relpath(path)
                if rel is None:
                    continue
                name = rel.rpartition("/")[2]
                if name == ".gitignore" or rel == ".git/info/exclude":
                    rebuild = True  # which files count may have changed anywhere below
                    continue
                self._refresh_one(Path(path), rel)
            if not rebuild:
                self._save_if_dirty()
        if rebuild:
            self.build()

    def _refresh_one(self, path: Path, rel: str) -> None:
        try:
            is_dir = path.is_dir()
            exists = is_dir or path.is_file()
        except OSError:
            exists, is_dir = False, False
        if not exists or (rel and not is_dir and not self._should_index(rel)):
            with self._lock:
                prefix = rel + "/"
                for known in [r for r in self._disk if r == rel or r.startswith(prefix)]:
                    self._set_disk(known, None)
            return
        if is_dir:
            if rel and (
                any(p in VENDORED_DIRS for p in rel.split("/"))
                or self._ignore.is_ignored(rel, True)
            ):
                return
            for found in walk(
                path, IgnoreRules(path), self._wanted_name, max_file_bytes=self.max_file_bytes
            ):
                sub = f"{rel}/{found.rel}" if rel else found.rel
                if self._should_index(sub):
                    self._refresh_file(FoundFile(found.path, sub, found.size, found.mtime_ns))
            return
        try:
            st = path.stat()
        except OSError:
            with self._lock:
                self._set_disk(rel, None)
            return
        if st.st_size > self.max_file_bytes:
            with self._lock:
                self._set_disk(rel, None)
            return
        self._refresh_file(FoundFile(path, rel, st.st_size, st.st_mtime_ns))

    def _refresh_file(self, found: FoundFile) -> None:
        with self._lock:
            previous = self._disk.get(found.rel)
            if previous is None and len(self._disk) >= self.max_files:
                return
        entry, _reused = self._read_entry(found, previous)
        with self._lock:
            self._set_disk(found.rel, entry)

    def update_buffer(self, path: Path, text: str) -> None:
        """Unsaved editor text for `path`; it wins over the disk until `close_buffer`. Cheap."""
        rel = self.relpath(path)
        if rel is None or not self._should_index(rel):
            return
        content_hash = _hash(text.encode("utf-8", errors="replace"))
        with self._lock:
            buffer = self._buffers.get(rel)
            if buffer is not None and buffer.content_hash == content_hash:
                return
            self._buffers[rel] = _Buffer(text, content_hash)
            disk = self._disk.get(rel)
            if buffer is None and disk is not None and disk.content_hash == content_hash:
                # Opening a file that matches the disk: reuse the parse, nothing changed.
                self._buffers[rel].entry = disk
                return
            if buffer is None and disk is None:
                self._fileset = None  # a new file only the editor knows so far
                self._resolved.clear()
            self._generation += 1

    def close_buffer(self, path: Path) -> None:
        """The editor closed `path`: the disk is the truth again."""
        rel = self.relpath(path)
        if rel is None:
            return
        with self._lock:
            buffer = self._buffers.pop(rel, None)
            if buffer is None:
                return
            before = buffer.entry
            after = self._disk.get(rel)
            if before is not None:
                self._index_names(rel, before, after)
            self._resolved.pop(rel, None)
            if after is None:
                self._fileset = None
                self._resolved.clear()
            if after is None or after.content_hash != buffer.content_hash:
                self._generation += 1

    # ----------------------------------------------------------------- watching

    def start_watching(self) -> None:
        """Follow changes on disk with watchfiles on a daemon thread until `close`."""
        if self._watcher is not None:
            return
        self._stop.clear()
        self._watcher = threading.Thread(
            target=self._watch, name="infilld-index-watch", daemon=True
        )
        self._watcher.start()

    def _watch(self) -> None:
        import watchfiles  # imported here: only the watching thread needs it

        def wanted(_change: watchfiles.Change, path: str) -> bool:
            p = Path(path)
            if any(part in VENDORED_DIRS for part in p.parts):
                return False
            return p.name == ".gitignore" or not p.suffix or self._wanted_name(p.name)

        try:
            for changes in watchfiles.watch(
                self.root,
                watch_filter=wanted,
                stop_event=self._stop,
                raise_interrupt=False,
                yield_on_timeout=False,
            ):
                try:
                    self.refresh_paths(Path(p) for _change, p in sorted(changes))
                except Exception:
                    log.exception("index refresh failed")
        except Exception:
            log.exception("file watching stopped for %s", self.root)

    def close(self) -> None:
        """Stop watching and persist what changed. Safe to call twice."""
        self._stop.set()
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.join(timeout=5)
        with self._write_lock:
            self._save_if_dirty()

    # ----------------------------------------------------------------- readers

    @property
    def disk_generation(self) -> int:
        """Bumps when a file's content on disk changes (saves, git checkout, codegen), not on
        editor buffer edits."""
        with self._lock:
            return self._disk_generation

    def disk_changed_since(self, generation: int, *, besides: Path | None = None) -> bool:
        """Whether a file other than `besides` changed on disk after `generation` (a value of
        disk_generation). Saving the file being edited changes nothing that file's context
        shows; changes older than the last DISK_LOG count as changed."""
        skip = None if besides is None else self.relpath(besides)
        with self._lock:
            newer = self._disk_generation - generation
            if newer <= 0:
                return False
            if newer > len(self._disk_log):
                return True
            return any(rel != skip for rel in islice(reversed(self._disk_log), newer))

    @property
    def generation(self) -> int:
        """Bumps whenever indexed content changes (a file added, removed or edited)."""
        with self._lock:
            return self._generation

    def definitions(self, name: str) -> list[Symbol]:
        """Every definition named `name`, ordered by (path, line)."""
        self._flush_buffers()
        with self._lock:
            per_file = self._names.get(name, {})
            return [sym for rel in sorted(per_file) for sym in per_file[rel]]

    def _current_entry(self, path: Path) -> FileEntry | None:
        """`path`'s entry as it is now: its open buffer's (pending edits parsed first), else the
        disk copy's; None outside the index."""
        rel = self.relpath(path)
        if rel is None:
            return None
        self._flush_buffers()
        with self._lock:
            return self._effective(rel)

    def file_symbols(self, path: Path) -> list[Symbol]:
        entry = self._current_entry(path)
        return list(entry.symbols) if entry is not None else []

    def fingerprint(self, rel: str) -> str | None:
        """The content hash of what read_text returns for `rel` (a path relative to the root, as
        relpaths() gives it: callers scan hundreds per query, so no path is converted): the open
        buffer's, else the file's on disk; None for a file the index does not hold. No file is
        read."""
        with self._lock:
            buffer = self._buffers.get(rel)
            if buffer is not None:
                return buffer.content_hash
            entry = self._disk.get(rel)
        return entry.content_hash if entry is not None else None

    def file_language(self, path: Path) -> str | None:
        """The indexed file's language id (None for unknown files)."""
        rel = self.relpath(path)
        with self._lock:
            entry = self._effective(rel) if rel is not None else None
        return entry.language if entry is not None else None

    def imports_of(self, path: Path) -> list[Path]:
        """Workspace files that `path` imports, in import order."""
        rel = self.relpath(path)
        if rel is None:
            return []
        self._flush_buffers()
        with self._lock:
            cached = self._resolved.get(rel)
            if cached is None:
                entry = self._effective(rel)
                if entry is None:
                    return []
                cached = resolve_imports(rel, entry.language, entry.imports, self._file_set())
                self._resolved[rel] = cached
            return [self.root / r for r in cached]

    def import_specs(self, path: Path) -> list[ImportSpec]:
        """`path`'s imports as written (its open buffer's when it has one), unresolved."""
        entry = self._current_entry(path)
        return list(entry.imports) if entry is not None else []

    def package_files(self, path: Path) -> list[Path]:
        """The other files whose names `path` sees without imports: its package's in Go and Java
        (a directory), in C# those declaring its namespace or one enclosing it; [] elsewhere."""
        rel = self.relpath(path)
        if rel is None:
            return []
        self._flush_buffers()  # an unsaved edit may have changed a C# file's namespace
        with self._lock:
            entry = self._effective(rel)
            language = entry.language if entry is not None else self._language_id(rel)
            return [self.root / r for r in package_siblings(rel, language, self._file_set())]

    def resolve(self, path: Path, language: str, specs: Iterable[ImportSpec]) -> list[Path]:
        """Resolve imports found in some text of `path` (e.g. a buffer the index has not seen)."""
        rel = self.relpath(path)
        if rel is None:
            return []
        self._flush_buffers()
        with self._lock:
            resolved = resolve_imports(rel, language, list(specs), self._file_set())
        return [self.root / r for r in resolved]

    def _file_set(self) -> FileSet:
        if self._fileset is None:
            paths = set(self._disk) | set(self._buffers)
            go_modules: dict[str, str] = {}
            namespaces: dict[str, tuple[str, ...]] = {}
            global_usings: list[ImportSpec] = []
            js_configs: dict[str, JsConfig] = {}
            js_packages: dict[str, tuple[str, ...]] = {}
            rust_crates: dict[str, str] = {}
            for rel in sorted(paths):
                entry = self._effective(rel)
                if entry is not None and entry.language == GO_MOD and entry.go_module:
                    go_modules[entry.go_module] = rel.rpartition("/")[0]
                elif entry is not None and entry.rust_crate:
                    rust_crates.setdefault(entry.rust_crate, entry.rust_crate_src)
                elif entry is not None and entry.js_config is not None:
                    js_configs[rel] = entry.js_config
                elif entry is not None and entry.js_package is not None and entry.js_package.name:
                    package = entry.js_package
                    folder = rel.rpartition("/")[0]
                    named = js_packages.get(package.name)
                    # The shallowest package of a name wins (a test fixture's copy is deeper).
                    if named is None or named[0].count("/") > folder.count("/"):
                        js_packages[package.name] = (folder, *package.entries)
                elif entry is not None and entry.language == "csharp":
                    namespaces[rel] = csharp_namespaces(entry.symbols)
                    global_usings.extend(csharp_global_usings(entry.imports))
            self._fileset = FileSet(
                paths=frozenset(p for p in paths if p.rpartition("/")[2] not in MANIFEST_NAMES),
                go_modules=go_modules,
                namespaces=namespaces,
                global_usings=tuple(global_usings),
                js_aliases=effective_aliases(js_configs),
                js_packages=js_packages,
                rust_crates=rust_crates,
            )
        return self._fileset

    def files(self) -> list[Path]:
        """Indexed source files (disk and open buffers), sorted."""
        return [self.root / r for r in self.relpaths()]

    def relpaths(self) -> list[str]:
        """files(), relative to the root with POSIX separators (no path objects to build)."""
        with self._lock:
            rels = set(self._disk) | set(self._buffers)
        return [r for r in sorted(rels) if r.rpartition("/")[2] not in MANIFEST_NAMES]

    def read_text(self, path: Path) -> str | None:
        """The buffer text if the editor has the file open, else the file on disk."""
        rel = self.relpath(path)
        if rel is None:
            return None
        with self._lock:
            buffer = self._buffers.get(rel)
            if buffer is not None:
                return buffer.text
        try:
            with open(self.root / rel, "rb") as fh:
                data = fh.read(self.max_file_bytes + 1)
        except OSError:
            return None
        if len(data) > self.max_file_bytes or sniff_skip_reason(data):
            return None
        return decode(data)


def _reshapes_file_set(old: FileEntry | None, new: FileEntry | None) -> bool:
    """Whether a file's change from old to new can change how other files' imports resolve: it
    came or went, it is a go.mod (module paths), or it is C# and declares other namespaces or
    global usings."""
    if (old is None) != (new is None):
        return True
    if old is None or new is None:
        return False
    if {old.language, new.language} & MANIFEST_LANGUAGES:
        return True
    if "csharp" in (old.language, new.language):
        return csharp_namespaces(old.symbols) != csharp_namespaces(new.symbols) or [
            spec.source for spec in csharp_global_usings(old.imports)
        ] != [spec.source for spec in csharp_global_usings(new.imports)]
    return False


def _same(a: FileEntry, b: FileEntry) -> bool:
    return a.content_hash == b.content_hash and a.language == b.language
