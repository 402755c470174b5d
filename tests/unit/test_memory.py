"""memory.py: the allocator figures the stats request reports, and the glibc tuning."""

from __future__ import annotations

import json
import os
import subprocess
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


# Run in a fresh interpreter: the allocator's state in the test process depends on earlier tests.
CHURN = """
import json, sys
from infilld import memory
if sys.argv[1] == "tuned":
    assert memory.tune_allocator()
for _ in range(20):
    block = bytearray(4 * 1024 * 1024)
    small = [bytes(100) for _ in range(1000)]  # heap traffic around it
    del block
del small
print(json.dumps(memory.usage()))
"""


def _free_after_churn(mode: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CHURN, mode], capture_output=True, text=True, check=True
    ).stdout
    return float(json.loads(out)["heapFreeMb"])


@linux_only
def test_a_pinned_mmap_threshold_returns_freed_large_buffers() -> None:
    # Untuned glibc raises its mmap threshold after the first 4 MiB free and keeps later ones as
    # holes in the heap; pinned, each buffer is unmapped when freed.
    assert _free_after_churn("untuned") >= 3.5
    assert _free_after_churn("tuned") < 2
    assert isinstance(memory.release_free_heap(), bool)


def test_allocation_sites_only_under_tracemalloc() -> None:
    code = (
        "import json; from infilld import memory; memory.top_allocations(3); keep = [bytes(999)"
        " for _ in range(9999)]; print(json.dumps(memory.top_allocations(3)))"
    )
    for env, expect_sites in ((None, False), ("1", True)):
        environ = {k: v for k, v in os.environ.items() if k != "PYTHONTRACEMALLOC"}
        if env:
            environ["PYTHONTRACEMALLOC"] = env
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environ
        ).stdout
        sites = json.loads(out)
        assert bool(sites["top"]) == expect_sites == bool(sites["growth"])
        # the second call names the line that grew by ~10 MB since the first
        assert all(" KiB " in site for site in sites["top"] + sites["growth"])
        if expect_sites:
            assert sites["growth"][0].startswith("<string>:1 +")
