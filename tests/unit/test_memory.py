"""memory.py: the allocator figures the stats request reports, and the glibc tuning."""

from __future__ import annotations

import sys

import pytest

from infilld import memory

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc figures")


@linux_only
def test_usage_sees_a_large_allocation_in_the_heap_figures() -> None:
    before = memory.usage()
    assert before["rssMb"] > 0 and before["pythonBlocks"] > 0
    block = bytearray(64 * 1024 * 1024)  # zero-filled: touched, so resident too
    during = memory.usage()
    assert during["heapInUseMb"] - before["heapInUseMb"] >= 60
    assert during["rssMb"] - before["rssMb"] >= 30
    del block
    after = memory.usage()
    assert during["heapInUseMb"] - after["heapInUseMb"] >= 60


@linux_only
def test_allocator_tuning_and_trimming_work_on_glibc() -> None:
    assert memory.tune_allocator()
    # With the threshold pinned, a freed multi-megabyte buffer is unmapped, not kept as a hole.
    for _ in range(20):
        block = bytearray(4 * 1024 * 1024)
        small = [bytes(100) for _ in range(1000)]  # heap traffic around it
        del block
    del small
    assert memory.usage()["heapFreeMb"] < 2  # untuned glibc keeps the 4 MiB hole here
    assert isinstance(memory.release_free_heap(), bool)
