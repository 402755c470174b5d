"""`infilld demo`: start the server, replay a short editing session over LSP, print each suggestion.

The session edits a copy of the sample project in infilld/demo_project: for each scripted line it
removes the line, types it back one character at a time (incremental didChange, as an editor sends
them), asks for an inline completion at each pause, and prints what the model suggested, how long it
took and whether it matches what the developer was about to type. A suggestion that matches is
accepted (inserted), as pressing Tab would.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import msgspec

from infilld.lsp.client import EditorSession

SAMPLE = Path(__file__).parent / "demo_project"


class Step(msgspec.Struct, frozen=True):
    file: str
    line: str  # the exact line the developer types
    pauses: tuple[int, ...]  # characters typed before each pause
    note: str


STEPS = (
    Step("shop/report.py", "    return sum(line.quantity for line in cart.lines)", (4, 15),
         "body of count_items: an empty line, then after `return sum(`"),
    Step("shop/pricing.py", "        net += line.subtotal() - line_discount(line, cart.discounts)",
         (15, 18, 35), "a line using another file's API; the 2nd pause types through the 1st suggestion"),
    Step("shop/models.py", "        return self.only_tag is None or self.only_tag in product.tags", (20,),
         "finish a boolean expression"),
)  # fmt: skip


def _color(text: str, code: str) -> str:
    return f"\033[{code}m{text}\033[0m"


async def _play(model: str | None, backend: str | None, server_log: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="infilld-demo-") as tmp:
        root = Path(tmp) / "shop-project"
        shutil.copytree(SAMPLE, root)
        args = ["--log-file", server_log, "serve"] if server_log else ["serve"]
        if model:
            args += ["--model", model]
        if backend:
            args += ["--backend", backend]
        session = EditorSession(root, args)
        t0 = time.monotonic()
        print(f"starting `infilld {' '.join(args)}` on {root} ...", flush=True)
        await session.start()
        print(
            f"model ready in {time.monotonic() - t0:.1f} s ({session.status.get('model')})\n",
            flush=True,
        )
        hits = total = 0
        try:
            for step in STEPS:
                path = root / step.file
                text = path.read_text(encoding="utf-8")
                at = text.index(step.line + "\n")
                text = text[:at] + text[at + len(step.line) :]  # leave the line empty
                session.open(step.file, text)
                lineno = text.count("\n", 0, at) + 1
                print(_color(f"{step.file}:{lineno}  {step.note}", "1"))
                cursor, typed = at, 0
                for pause in step.pauses:
                    if pause < typed:
                        continue
                    for ch in step.line[typed:pause]:
                        cursor = session.insert(step.file, cursor, ch)
                        await asyncio.sleep(0.01)
                    typed = pause
                    suggestion, ms = await session.inline_completion(step.file, cursor)
                    expected = step.line[typed:]
                    total += 1
                    shown = (suggestion or "").split("\n")
                    exact = suggestion is not None and (shown[0] == expected)
                    hits += exact
                    verdict = _color("exact", "32") if exact else _color("differs", "33")
                    left = step.line[:typed]
                    print(f"  typed {left!r}")
                    print(f"    -> {_color(repr(suggestion), '36')}  {ms:.0f} ms  [{verdict}]")
                print()
        finally:
            await session.stop()
        print(f"{hits}/{total} suggestions matched the line exactly.")
        return 0


def run_demo(
    model: str | None = None, backend: str | None = None, server_log: str | None = None
) -> int:
    return asyncio.run(_play(model, backend, server_log))
