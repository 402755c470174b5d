"""RepoContext: the per-file context block stays byte-identical while the user edits, is rebuilt
when a file changes on disk, and feeds "fix this" with other files' definitions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from infilld.config import ContextSettings
from infilld.engine.fix import FixTask
from infilld.engine.repo_context import RepoContext

SHAPES = '''"""Shapes."""


def scale(value: float, factor: float) -> float:
    """Multiply value by factor."""
    return value * factor


class Box:
    def area(self) -> float:
        return 1.0
'''
MAIN = """from shapes import Box, scale


def grow(box: Box) -> float:
    return scale(box.area(), 2.0)
"""


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[tuple[RepoContext, Path]]:
    (tmp_path / "shapes.py").write_text(SHAPES)
    (tmp_path / "main.py").write_text(MAIN)
    rc = RepoContext(ContextSettings(), cache_dir=tmp_path / ".cache")
    rc.add_folder(tmp_path)
    assert rc.ready.wait(30)
    yield rc, tmp_path
    rc.close()


def count(text: str) -> int:
    return len(text) // 3


def test_block_is_reused_while_editing_and_replaced_in_the_background_after_a_disk_change(
    repo: tuple[RepoContext, Path],
) -> None:
    rc, root = repo
    main = root / "main.py"
    first = rc.provide(main, MAIN + "\n", len(MAIN), 512, count)
    assert any("def scale" in s.text for s in first)
    assert all(s.path != "main.py" for s in first)
    typed = MAIN + "\nresult = gr"
    second = rc.provide(main, typed, len(typed), 512, count)
    assert second is first  # the same object: nothing but this buffer changed
    index = rc.index_for(main)
    assert index is not None
    grown = SHAPES + "\n\ndef shrink(value: float) -> float:\n    return value / 2\n"
    # unsaved edits in another open file do not replace the block (it heads the prompt) ...
    index.update_buffer(root / "shapes.py", grown)
    assert rc.provide(main, typed, len(typed), 512, count) is first
    assert rc.follow(main, typed, len(typed), 512, count) is None
    # ... nor does saving the file being edited (its block never shows its disk copy) ...
    before = index.disk_generation
    main.write_text(typed)
    index.refresh_paths([main])
    assert index.disk_changed_since(before)
    assert not index.disk_changed_since(before, besides=main)
    assert rc.follow(main, typed, len(typed), 512, count) is None
    assert rc.provide(main, typed, len(typed), 512, count) is first
    # ... a change of another file on disk does, through follow(): no request waits for it
    index.close_buffer(root / "shapes.py")
    (root / "shapes.py").write_text(grown)
    index.refresh_paths([root / "shapes.py"])
    assert rc.provide(main, typed, len(typed), 512, count) is first
    offered = rc.follow(main, typed, len(typed), 512, count)
    assert offered is not None and any("def shrink" in s.text for s in offered)
    assert rc.offered(main, typed, len(typed)) is offered
    rc.adopt(main, offered)
    assert rc.provide(main, typed, len(typed), 512, count) is offered
    assert rc.follow(main, typed, len(typed), 512, count) is None


def test_a_new_import_changes_the_block_through_follow_not_the_request(
    repo: tuple[RepoContext, Path],
) -> None:
    # Reading a buffer's imports re-parses the whole buffer; a request must not wait for that
    # after every keystroke, so the request keeps the block and follow() offers the new one.
    # With near code off (the block then never follows the cursor), and in a folder of its own
    # (not a sibling chunk), colors.py can only come into the block through the import.
    rc, root = repo
    rc.settings = ContextSettings(near_code=False)
    (root / "palette").mkdir()
    (root / "palette" / "colors.py").write_text(COLORS)
    index = rc.index_for(root / "main.py")
    assert index is not None
    index.refresh_paths([root / "palette" / "colors.py"])
    main = root / "main.py"
    first = rc.provide(main, MAIN, len(MAIN), 512, count)
    assert not any("def tint" in s.text for s in first)
    assert rc.follow(main, MAIN, len(MAIN), 512, count) is None  # nothing changed
    imported = "from palette.colors import tint\n" + MAIN + "\nshade = tint("
    assert rc.provide(main, imported, len(imported), 512, count) is first
    offered = rc.follow(main, imported, len(imported), 512, count)
    assert offered is not None and any("def tint" in s.text for s in offered)
    assert rc.follow(main, imported, len(imported), 512, count) is offered  # the same offer
    rc.adopt(main, offered)
    assert rc.provide(main, imported, len(imported), 512, count) is offered
    assert rc.follow(main, imported, len(imported), 512, count) is None


COLORS = '''"""Colors."""


def tint(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    """Lighten rgb by amount (0 to 1)."""
    return tuple(int(c + (255 - c) * amount) for c in rgb)
'''


def test_fix_prompts_get_definitions_from_other_files(repo: tuple[RepoContext, Path]) -> None:
    rc, _root = repo
    task = FixTask(kind="fix", text=MAIN, start=0, end=0, path="main.py")
    texts = rc.definition_texts(task, ["scale", "grow", "nowhere"])
    assert any("def scale(value: float, factor: float)" in t for t in texts)
    assert not any("def grow" in t for t in texts)  # the file being fixed is not context


@contextmanager
def _editing(
    root: Path, files: dict[str, str], text: str, *, budget: int
) -> Iterator[tuple[RepoContext, Path]]:
    """A workspace of `files` and main.py holding `text`, indexed: (its RepoContext, main.py)."""
    for name, content in files.items():
        (root / name).write_text(content)
    main = root / "main.py"
    main.write_text(text)
    rc = RepoContext(ContextSettings(budget_tokens=budget), cache_dir=root / ".cache")
    rc.add_folder(root)
    assert rc.ready.wait(30)
    try:
        yield rc, main
    finally:
        rc.close()


BILLING = '''"""Billing."""


def charge(account, amount):
    ledger = account.ledger()
    ledger.debit(amount, memo="charge")
    return ledger.balance()
'''
PLOTTING = '''"""Plotting."""


def draw(canvas, points):
    pen = canvas.pen(width=2)
    pen.polyline(points, closed=False)
    return canvas.flush()
'''


def test_the_block_follows_the_cursor_only_when_adopted(tmp_path: Path) -> None:
    # The block in use stays until the engine adopts the next region's block; follow() offers
    # one only once the cursor is more than REGION_LINES lines away, and the same one again while
    # the cursor stays in that region.
    filler = "\n".join(f"step_{i} = {i}" for i in range(30))
    text = (
        "def bill(account, amount):\n    ledger = account.ledger()\n    ledger.debit(amount, "
        f"memo='x')\n    return ledger.\n{filler}\n"
        "def plot(canvas, points):\n    pen = canvas.pen(width=1)\n    pen.polyline(points, "
        "closed=True)\n    return canvas.\n"
    )
    files = {"billing.py": BILLING, "plotting.py": PLOTTING}
    with _editing(tmp_path, files, text, budget=60) as (rc, main):
        at_bill = text.index("ledger.\n") + len("ledger.")
        at_plot = text.index("canvas.\n") + len("canvas.")
        first = rc.provide(main, text, at_bill, 60, count)
        assert [s.path for s in first] == ["billing.py"]
        assert rc.follow(main, text, at_bill, 60, count) is None  # the same region
        assert rc.offered(main, text, at_plot) is None  # nothing offered yet
        offered = rc.follow(main, text, at_plot, 60, count)
        assert offered is not None and [s.path for s in offered] == ["plotting.py"]
        assert rc.follow(main, text, at_plot - 1, 60, count) is offered
        assert rc.offered(main, text, at_plot - 1) is offered  # in its region: what a request
        assert rc.offered(main, text, at_bill) is None  # may take over; not elsewhere
        assert rc.provide(main, text, at_plot, 60, count) is first  # requests never wait for it
        rc.adopt(main, list(offered))  # not the object offered: ignored
        assert rc.provide(main, text, at_plot, 60, count) is first
        rc.adopt(main, offered)
        assert rc.provide(main, text, at_plot, 60, count) is offered
        assert rc.offered(main, text, at_plot) is None  # adopted: nothing is on offer
        assert rc.follow(main, text, at_plot, 60, count) is None
        rc.settings = ContextSettings(budget_tokens=60, near_code=False)
        assert rc.follow(main, text, at_bill, 60, count) is None


LEDGER = """class Ledger:
    def debit(self, amount: int) -> None: ...
    def credit(self, amount: int) -> None: ...
"""
PEN = """class Pen:
    def polyline(self, points: list[int]) -> None: ...
    def stroke(self, width: int) -> None: ...
"""


def test_the_block_follows_a_line_that_calls_into_an_imported_module(tmp_path: Path) -> None:
    # `ink.bl` after `import ink`: the block chosen at `ledger.` had no room for ink's `blot`,
    # in the middle of its 31 functions; follow() offers one that lists it first.
    dabs = [f"def dab_{i}(x: int) -> int:\n    return x + {i}\n\n" for i in range(30)]
    ink = (
        "".join(dabs[:15]) + "def blot(page: str) -> str:\n    return page\n\n" + "".join(dabs[15:])
    )
    text = (
        "import ink\nfrom ledger import Ledger\n\n\n"
        "def work(ledger: Ledger) -> None:\n    ledger.\n    ink.bl\n"
    )
    with _editing(tmp_path, {"ledger.py": LEDGER, "ink.py": ink}, text, budget=120) as (rc, main):
        at_ledger = text.index("ledger.\n") + len("ledger.")
        at_ink = text.index("ink.bl\n") + len("ink.bl")
        first = rc.provide(main, text, at_ledger, 120, count)
        assert not any("def blot" in s.text for s in first)
        assert rc.follow(main, text, at_ledger, 120, count) is None
        offered = rc.follow(main, text, at_ink, 120, count)
        assert offered is not None
        assert "def blot(page: str) -> str" in {s.path: s.text for s in offered}["ink.py"]
        rc.adopt(main, offered)
        assert rc.follow(main, text, at_ink, 120, count) is None  # chosen for ink now


def test_the_block_follows_a_line_that_calls_into_another_type(tmp_path: Path) -> None:
    # The block shows the members of the types the cursor's line calls into. Two lines apart,
    # `ledger.` and `pen.` are one region, yet `pen.` needs Pen's members: follow() offers a block
    # for them. A type the repository does not define (a library's) shows nothing, so the block
    # in use stands for it.
    text = (
        "from ledger import Ledger\nfrom pen import Pen\nfrom pathlib import Path\n\n\n"
        "def work(ledger: Ledger, pen: Pen, where: Path) -> None:\n"
        "    ledger.\n    pen.\n    where.\n"
    )
    with _editing(tmp_path, {"ledger.py": LEDGER, "pen.py": PEN}, text, budget=120) as (rc, main):
        at_ledger = text.index("ledger.\n") + len("ledger.")
        at_pen = text.index("pen.\n") + len("pen.")
        at_where = text.index("where.\n") + len("where.")
        # A receiver's type is listed as its member signatures (whole files otherwise, here).
        ledger_members = "class Ledger:\n" + "\n".join(LEDGER.splitlines()[1:]).replace(" ...", "")
        pen_members = "class Pen:\n" + "\n".join(PEN.splitlines()[1:]).replace(" ...", "")
        first = rc.provide(main, text, at_ledger, 120, count)
        assert ledger_members in [s.text for s in first]
        assert pen_members not in [s.text for s in first]
        assert rc.follow(main, text, at_ledger, 120, count) is None
        offered = rc.follow(main, text, at_pen, 120, count)
        assert offered is not None and pen_members in [s.text for s in offered]
        assert rc.follow(main, text, at_pen, 120, count) is offered  # asked again: the same
        rc.adopt(main, offered)
        assert rc.follow(main, text, at_where, 120, count) is None  # Path: not the repo's
        assert rc.follow(main, text, at_where, 120, count) is None
        assert rc.provide(main, text, at_where, 120, count) is offered
        back = rc.follow(main, text, at_ledger, 120, count)  # Ledger again: chosen for Pen
        assert back is not None and ledger_members in [s.text for s in back]


def test_the_block_follows_a_line_that_calls_into_an_inherited_member(tmp_path: Path) -> None:
    # `self.` in a class that extends Ledger (another file): the block chosen at the top of the
    # class lists Ledger's public API at most; follow() offers one whose receivers' share lists
    # its members as a subclass sees them, protected `_audit` included (first: the line above
    # speaks of an audit).
    posts = [f"    def post_{i}(self, amount: int) -> None:\n        pass\n\n" for i in range(30)]
    ledger = (
        "class Ledger:\n"
        + "".join(posts[:15])
        + "    def _audit(self, note: str) -> None:\n        pass\n\n"
        + "".join(posts[15:])
    )
    text = (
        "from ledger import Ledger\n\n\n"
        "class Shop(Ledger):\n"
        "    def sell(self, amount: int) -> None:\n"
        '        audit_note = f"sold {amount}"\n'
        "        self.\n"
    )
    with _editing(tmp_path, {"ledger.py": ledger}, text, budget=120) as (rc, main):
        at_class = text.index("class Shop")
        at_self = text.index("self.\n") + len("self.")
        first = rc.provide(main, text, at_class, 120, count)
        assert not any("def _audit" in s.text for s in first)
        offered = rc.follow(main, text, at_self, 120, count)
        assert offered is not None
        listed = {s.path: s.text for s in offered}.get("ledger.py", "")
        assert "def _audit(self, note: str) -> None" in listed
        assert "class Ledger:" in listed
