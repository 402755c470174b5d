"""Repository context for the completion engine: one workspace index per folder, kept fresh in the
background, and a per-file context block that stays byte-identical until the repository changes.

The context block sits at the very start of the prompt, so any change to it costs a full prompt
re-evaluation (seconds on a CPU). The block for a file is therefore chosen once, by the file's
first request, and every later request gets the block in use. A new block is only chosen when the
repository really changed: another file changed on disk (a save, a checkout, codegen), or the
file's own imports changed, or, with near code on (`context.nearCode`, the block then holds code
like the lines above the cursor, so it belongs to a region of the file), the cursor has moved more
than REGION_LINES lines from where the block in use was chosen, or the cursor's line calls into an
object of a repository type, or an imported module, the block was not chosen for (`pen.` after a
block chosen at `ledger.`: the block shows the members of the types and modules the cursor's
line calls into, engine/receivers.py). Unsaved edits in other open files do not count: they are small and
frequent, and a new block at each would re-evaluate the whole prompt at every switch between
files. Saving the file being edited does not count either: its block shows other files and the
buffer, never the disk copy.

No request waits for a new block. `follow`, which the engine calls once the model has been idle
for a moment, looks for those changes and offers the engine a new block; the engine prefills its
prompt in the background and calls `adopt` when that finished, so the switch costs no request
anything. Looking on the request path would cost every request a parse of its buffer to read its
imports (7 ms a keystroke in a 37 KB file, 35 ms in a 180 KB one), and a save (an editor's
auto-save after every pause) would make the next request select a new block and evaluate it
whole: the block differed in 17 of 18 such saves measured on infilld's own files.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from infilld.config import ContextSettings
from infilld.engine.context import (
    PROMPT_LINES,
    cursor_modules,
    cursor_receivers,
    select_context,
)
from infilld.engine.fix import FixTask
from infilld.engine.prompt import Snippet
from infilld.index import WorkspaceIndex

log = logging.getLogger(__name__)
RECENT_REGIONS = 8
RECENT_RADIUS_LINES = 12
MAX_FIX_NAMES = 40  # names of a region looked up for a fix
MAX_FIX_DEFINITIONS = 12
# A block's near code stays in use while the cursor is within this many lines of where it was
# chosen (near code is chosen from the 10 lines above the cursor).
REGION_LINES = 10


class _Cached(msgspec.Struct):
    disk_generation: int  # the index's disk generation when the block was built
    imports: tuple[Path, ...]
    snippets: tuple[Snippet, ...]
    line: int  # the cursor's line when it was chosen (its near code is code like that region's)
    # What the cursor's line called into then, whose members the block shows: the declared
    # types of its receivers and the files of the imported modules among them (`_json.`). A
    # line that calls into another type or module wants another block.
    receivers: tuple[str, ...] = ()


def _receivers(
    index: WorkspaceIndex, path: Path, text: str, offset: int, imports: Sequence[Path]
) -> list[str]:
    """The declared types of the receivers on the cursor's line, as context selection finds
    them."""
    rels = [r for r in map(index.relpath, imports) if r is not None]
    return cursor_receivers(index, path, text, offset, rels)


def _callees(
    index: WorkspaceIndex, receivers: Sequence[str], modules: Sequence[str]
) -> tuple[str, ...]:
    """The block's stamp for a cursor: those of the receivers' types (`receivers`) the
    repository defines, since a library's type (`where: Path`) shows no members and a line
    calling into it wants no new block, then the files of the imported modules the line calls
    into (`modules`: a path never reads as a type's name)."""
    defined = [name for name in receivers if index.definitions(name)]
    return tuple(dict.fromkeys([*defined, *modules]))


class RepoContext:
    """Indexes for the workspace folders and the context blocks built from them."""

    def __init__(
        self,
        settings: ContextSettings,
        cache_dir: Path | None = None,
        prompt_lines: tuple[int, int] = PROMPT_LINES,
    ) -> None:
        self.settings = settings
        # The completion prompt's lines around the cursor (near code skips them in this file).
        self.prompt_lines = prompt_lines
        self._cache_dir = cache_dir
        self._indexes: dict[Path, WorkspaceIndex] = {}
        self._blocks: OrderedDict[Path, _Cached] = OrderedDict()
        self._next: dict[Path, _Cached] = {}  # per file, a block follow() offered, not adopted yet
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
            self._next.pop(path, None)

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
        with self._lock:
            cached = self._blocks.get(path)
        if cached is not None:
            return cached.snippets  # a change since is follow()'s to find, off this path
        disk = index.disk_generation
        imports = tuple(index.imports_of(path))
        block = self._select(index, path, text, offset, budget_tokens, count_tokens, imports, disk)
        with self._lock:
            self._blocks[path] = block
            self._blocks.move_to_end(path)
            while len(self._blocks) > 64:
                self._blocks.popitem(last=False)
            self._next.pop(path, None)
        return block.snippets

    def follow(
        self,
        path: Path,
        text: str,
        offset: int,
        budget_tokens: int,
        count_tokens: Callable[[str], int],
    ) -> Sequence[Snippet] | None:
        """A new block for `path` (the engine's ContextFollower), or None to keep the block in
        use. There is one when, since the block in use was chosen, another file changed on disk
        or the file's imports changed, or, with near code on, the cursor has moved more than
        REGION_LINES lines from where it was chosen, or the cursor's line calls into a type or an
        imported module it was not chosen for. Asked again in the same state, it offers the same block, so a prefill of
        it that a request interrupted can resume."""
        index = self.index_for(path)
        if index is None:
            return None
        line = text.count("\n", 0, offset)
        with self._lock:
            cached = self._blocks.get(path)
        if cached is None:
            return None  # no block yet: the next request selects one
        disk = index.disk_generation
        index.update_buffer(path, text)
        imports = tuple(index.imports_of(path))
        moved = self.settings.near_code and abs(line - cached.line) > REGION_LINES
        changed = index.disk_changed_since(cached.disk_generation, besides=path)
        receivers = _callees(
            index,
            _receivers(index, path, text, offset, imports),
            cursor_modules(index, path, text, offset),
        )
        retyped = not set(receivers) <= set(cached.receivers)
        if not moved and not changed and not retyped and imports == cached.imports:
            if cached.disk_generation != disk:  # only this file was saved: the block stands
                self._restamp(path, cached, disk_generation=disk)
            return None
        offered = self._on_offer(path, index, text, offset, imports, receivers)
        if offered is not None:
            return offered
        block = self._select(index, path, text, offset, budget_tokens, count_tokens, imports, disk)
        if block.snippets == cached.snippets:
            # The new region, imports, files or receivers want the same block (a library type's
            # receiver shows no members): it stands for them too.
            self._restamp(
                path, cached, disk_generation=disk, imports=imports, line=line,
                receivers=tuple(dict.fromkeys(cached.receivers + receivers)),
            )  # fmt: skip
            with self._lock:
                self._next.pop(path, None)
            return None
        with self._lock:
            self._next[path] = block
        return block.snippets

    def _restamp(self, path: Path, cached: _Cached, **stamps: object) -> None:
        """Let the block in use stand for a later state of the repository (new `stamps`), unless
        another block replaced it meanwhile."""
        with self._lock:
            if self._blocks.get(path) is cached:
                self._blocks[path] = msgspec.structs.replace(cached, **stamps)

    def offered(self, path: Path, text: str, offset: int) -> Sequence[Snippet] | None:
        """The block follow() offered for `path` and the engine has not adopted, if it is still
        current and the cursor is in its region; None otherwise. Cheap: it selects nothing."""
        index = self.index_for(path)
        if index is None:
            return None
        return self._on_offer(path, index, text, offset)

    def _on_offer(
        self,
        path: Path,
        index: WorkspaceIndex,
        text: str,
        offset: int,
        imports: tuple[Path, ...] | None = None,
        receivers: tuple[str, ...] = (),
    ) -> Sequence[Snippet] | None:
        """The block offered for `path` if it is still current (no other file changed on disk
        since it was chosen, the same `imports` when given, chosen for all of `receivers`) and the
        cursor's line is in its region. The line is only counted when a block is on offer: every
        request asks, and most find none."""
        with self._lock:
            offered = self._next.get(path)
        if (
            offered is None
            or index.disk_changed_since(offered.disk_generation, besides=path)
            or (imports is not None and offered.imports != imports)
            or not set(receivers) <= set(offered.receivers)
            or abs(text.count("\n", 0, offset) - offered.line) > REGION_LINES
        ):
            return None
        return offered.snippets

    def adopt(self, path: Path, snippets: Sequence[Snippet]) -> None:
        """Use the block follow() offered for `path` (`snippets`) from now on: the engine has its
        prompt in the KV cache. A block offered before a newer one, or before the file was
        closed, is ignored."""
        with self._lock:
            offered = self._next.get(path)
            if offered is None or offered.snippets is not snippets:
                return
            del self._next[path]
            self._blocks[path] = offered
            self._blocks.move_to_end(path)

    def _select(
        self,
        index: WorkspaceIndex,
        path: Path,
        text: str,
        offset: int,
        budget_tokens: int,
        count_tokens: Callable[[str], int],
        imports: tuple[Path, ...],
        disk: int,
    ) -> _Cached:
        """The block for a cursor at `offset`, stamped with the imports and disk generation the
        caller read before selecting (a later change then makes it stale, never the reverse)."""
        with self._lock:
            recent = [(p, t) for p, t in self._recent.items() if p != path]
        # Found once, for the selection and for the block's stamp (follow() compares with it).
        receivers = _receivers(index, path, text, offset, imports)
        modules = cursor_modules(index, path, text, offset)
        snippets = tuple(
            select_context(
                index, path, text, offset,
                budget_tokens=budget_tokens, count_tokens=count_tokens, recent=recent,
                near_code=self.settings.near_code, prompt_lines=self.prompt_lines,
                receivers=receivers, modules=modules,
            )
        )  # fmt: skip
        line = text.count("\n", 0, offset)
        return _Cached(disk, imports, snippets, line, _callees(index, receivers, modules))

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
