"""The server process's memory, as the OS and the C allocator see it.

`usage()` is part of the `infilld/stats` answer, so a long benchmark can tell growing Python objects
(`pythonBlocks`), memory the C heap hands out (`heapInUseMb`: llama.cpp, tree-sitter, CPython's own
arenas) and memory freed but still held by glibc malloc (`heapFreeMb`: fragmentation) apart.
`release_free_heap()` hands that last part back to the OS (glibc's `malloc_trim`).

Why the server needs both: a one-hour replayed session grew its RSS by ~1 MB a minute while the
heap in use stayed flat; the growth was freed memory glibc kept. Multi-megabyte buffers (saved KV
states, logits, token arrays) are served from the heap once glibc's dynamic mmap threshold has
risen past their size, and freeing them leaves holes that are not returned. `tune_allocator()`
pins the threshold, so such buffers are mapped and unmapped whole, and the server trims what is
left now and then.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import tracemalloc
from functools import cache
from pathlib import Path
from typing import Any


class _MallInfo2(ctypes.Structure):
    # glibc >= 2.33, `struct mallinfo2`; summed over all arenas.
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


@cache
def _libc() -> Any:
    """glibc's handle, or None (macOS, musl, Windows: the allocator figures are then left out)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def proc_memory_mb(pid: int | str = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB, from /proc/<pid>/status (0 where unreadable)."""
    rss = hwm = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, hwm


def usage() -> dict[str, float]:
    """RSS, the C heap's in-use and free-but-held bytes, and CPython's live block count."""
    out = {"rssMb": round(proc_memory_mb()[0], 1), "pythonBlocks": float(sys.getallocatedblocks())}
    libc = _libc()
    if libc is not None:
        info = libc.mallinfo2()
        mib = 1024 * 1024
        out["heapInUseMb"] = round((info.uordblks + info.hblkhd) / mib, 1)
        out["heapFreeMb"] = round(info.fordblks / mib, 1)
    if tracemalloc.is_tracing():  # PYTHONTRACEMALLOC=1 in the server's environment
        out["pythonTracedMb"] = round(tracemalloc.get_traced_memory()[0] / 1024 / 1024, 1)
    return out


_last_snapshot: list[tracemalloc.Snapshot] = []  # the previous call's, for the growth list


def top_allocations(n: int) -> dict[str, list[str]]:
    """Where live Python memory was allocated ("file:line KiB count"): the `n` largest sites,
    and the `n` that grew most since the previous call (empty on the first). Empty unless the
    server runs with PYTHONTRACEMALLOC set (tracing slows it down)."""
    if not tracemalloc.is_tracing():
        return {"top": [], "growth": []}
    snap = tracemalloc.take_snapshot()
    top = [
        f"{s.traceback[0].filename}:{s.traceback[0].lineno} {s.size // 1024} KiB {s.count}"
        for s in snap.statistics("lineno")[: max(0, n)]
    ]
    growth = []
    if _last_snapshot:
        diffs = snap.compare_to(_last_snapshot[0], "lineno")[: max(0, n)]
        growth = [
            f"{d.traceback[0].filename}:{d.traceback[0].lineno} {d.size_diff // 1024:+} KiB"
            f" {d.count_diff:+}"
            for d in diffs
        ]
    _last_snapshot[:] = [snap]
    return {"top": top, "growth": growth}


# Allocations at least this large get their own mapping, returned to the OS when freed. glibc's
# default starts at 128 KiB but rises after each large free, up to 32 MiB on 64-bit.
MMAP_THRESHOLD_BYTES = 1024 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt parameter number, glibc's malloc.h


def tune_allocator() -> bool:
    """Pin glibc's mmap threshold (call once, early); False where the allocator is not glibc."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


def release_free_heap() -> bool:
    """Give the C heap's free pages back to the OS; False where the allocator cannot."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(0))
