"""Repository context for the completion engine: one workspace index per folder, kept fresh in the
background, and a per-file context block that stays byte-identical until the repository changes.

The context block sits at the very start of the prompt, so any change to it costs a full prompt
re-evaluation (seconds on a CPU). The block for a file is therefore computed once and reused until
the repository really changes: a file changes on disk (a save, a checkout, codegen) or the file's
own imports change. Unsaved edits in other open files do not rebuild it: they are small and
frequent, and rebuilding on each would re-evaluate the whole prompt at every switch between files.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from infilld.config import ContextSettings
from infilld.engine.context import select_context
from infilld.engine.fix import FixTask
from infilld.engine.prompt import Snippet
from infilld.index import WorkspaceIndex

log = logging.getLogger(__name__)
RECENT_REGIONS = 8
RECENT_RADIUS_LINES = 12
MAX_FIX_NAMES = 40  # names of a region looked up for a fix
MAX_FIX_DEFINITIONS = 12


class _Cached(msgspec.Struct):
    disk_generation: int  # the index's disk generation when the block was built
    imports: tuple[Path, ...]
    snippets: tuple[Snippet, ...]


class RepoContext:
    """Indexes for the workspace folders and the context blocks built from them."""

    def __init__(self, settings: ContextSettings, cache_dir: Path | None = None) -> None:
        self.settings = settings
        self._cache_dir = cache_dir
        self._indexes: dict[Path, WorkspaceIndex] = {}
        self._blocks: OrderedDict[Path, _Cached] = OrderedDict()
        self._recent: OrderedDict[Path, str] = OrderedDict()
        self._lock = threading.Lock()
        self.ready = threading.Event()  # set when every folder has finished its first build
        self._pending = 0

    # -- folders ----------------------------------------------------------------------------
    def add_folder(self, root: Path) -> None:
        """Index `root` on a background thread, then follow its changes on disk."""
        root = root.resolve()
        with self._lock:
            if root in self._indexes or not root.is_dir():
                return
            index = WorkspaceIndex(
                root,
                max_files=self.settings.max_files,
                max_file_bytes=self.settings.max_file_bytes,
                cache_dir=self._cache_dir,
            )
            self._indexes[root] = index
            self._pending += 1
            self.ready.clear()
        threading.Thread(
            target=self._build, args=(index,), name="infilld-index", daemon=True
        ).start()

    def _build(self, index: WorkspaceIndex) -> None:
        try:
            index.build()
            index.start_watching()
            log.info("indexed %s: %d files", index.root, len(index.files()))
        except Exception:  # a broken index degrades to file-level prompts, never a crash
            log.exception("indexing %s failed", index.root)
        finally:
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self.ready.set()

    def index_for(self, path: Path) -> WorkspaceIndex | None:
        best: WorkspaceIndex | None = None
        for root, index in self._indexes.items():
            if path.is_relative_to(root) and (
                best is None or len(root.parts) > len(best.root.parts)
            ):
                best = index
        return best

    # -- editor events ------------------------------------------------------------------------
    def note_view(self, path: Path, text: str, offset: int) -> None:
        """Remember the region around the cursor: other files' completions may use it."""
        lines = text.split("\n")
        line = text.count("\n", 0, offset)
        lo, hi = max(0, line - RECENT_RADIUS_LINES), line + RECENT_RADIUS_LINES
        with self._lock:
            self._recent[path] = "\n".join(lines[lo:hi])
            self._recent.move_to_end(path)
            while len(self._recent) > RECENT_REGIONS:
                self._recent.popitem(last=False)

    def close_buffer(self, path: Path) -> None:
        index = self.index_for(path)
        if index is not None:
            index.close_buffer(path)
        with self._lock:
            self._blocks.pop(path, None)

    # -- the provider -------------------------------------------------------------------------
    def provide(
        self,
        path: Path,
        text: str,
        offset: int,
        budget_tokens: int,
        count_tokens: Callable[[str], int],
    ) -> Sequence[Snippet]:
        """Snippets from other files for a completion in `path` (the engine's ContextProvider)."""
        index = self.index_for(path)
        if index is None:
            return ()
        index.update_buffer(path, text)
        imports = tuple(index.imports_of(path))
        disk = index.disk_generation
        with self._lock:
            cached = self._blocks.get(path)
            recent = [(p, t) for p, t in self._recent.items() if p != path]
        if cached is not None and cached.disk_generation == disk and cached.imports == imports:
            return cached.snippets
        snippets = tuple(
            select_context(
                index, path, text, offset,
                budget_tokens=budget_tokens, count_tokens=count_tokens, recent=recent,
            )
        )  # fmt: skip
        with self._lock:
            self._blocks[path] = _Cached(disk, imports, snippets)
            self._blocks.move_to_end(path)
            while len(self._blocks) > 64:
                self._blocks.popitem(last=False)
        return snippets

    def definition_texts(self, task: FixTask, names: Sequence[str]) -> list[str]:
        """Definitions of `names` from other workspace files, for the "fix this" prompt (the
        fix engine's DefinitionProvider): small ones whole, larger ones as signature and doc."""
        out: list[str] = []
        for index in list(self._indexes.values()):
            for name in names[:MAX_FIX_NAMES]:
                for sym in index.definitions(name)[:2]:
                    if sym.path == task.path or index.abspath(sym.path) == Path(task.path):
                        continue
                    text = sym.body or sym.stub()
                    if text not in out:
                        out.append(text)
        return out[:MAX_FIX_DEFINITIONS]

    def close(self) -> None:
        for index in list(self._indexes.values()):
            index.close()
        self._indexes.clear()
