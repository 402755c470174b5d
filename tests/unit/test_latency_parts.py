"""The model-free parts of the latency work: the per-file KV state LRU, the adaptive debounce,
acceptance detection, the benchmark's session script, percentiles and the PNG writer."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from infilld.backends.kvstate import MIN_GAIN_TOKENS, KVStateStore, plan_reuse
from infilld.bench import latency
from infilld.bench.session_script import (
    accepted_part,
    histogram_png,
    line_offset,
    make_script,
    percentile,
)
from infilld.engine.speed import (
    AdaptiveDebounce,
    EngineStats,
    RequestStat,
    Served,
    accepted_suggestion,
)
from infilld.errors import InfilldError

A = list(range(200))
B = list(range(1000, 1300))


def test_store_evicts_least_recently_used() -> None:
    store: KVStateStore[str] = KVStateStore(max_states=2)
    store.put("a", A, "A", 10)
    store.put("b", B, "B", 10)
    assert store.best(A, 0) is not None  # touching a makes b the oldest
    assert store.put("c", [7] * 100, "C", 10) == ["b"]
    assert store.keys() == ["a", "c"]


def test_store_respects_the_byte_cap() -> None:
    store: KVStateStore[str] = KVStateStore(max_states=4, max_bytes=25)
    store.put("a", A, "A", 10)
    store.put("b", B, "B", 10)
    assert store.put("c", [5] * 50, "C", 10) == ["a"]
    assert store.put("huge", A, "H", 26) == []  # larger than the cap: not kept at all
    assert "huge" not in store


def test_best_needs_a_real_gain_over_the_live_cache() -> None:
    store: KVStateStore[str] = KVStateStore()
    store.put("a", A, "A", 1)
    prompt = [*A[:150], 9, 9]
    assert store.best(prompt, live_common=0) is not None
    assert store.best(prompt, live_common=150 - MIN_GAIN_TOKENS + 1) is None


def test_switch_saves_the_other_files_state_and_restores_the_better_one() -> None:
    store: KVStateStore[str] = KVStateStore()
    saved: list[str] = []

    def save() -> tuple[str, int]:
        saved.append("live")
        return "blob-a", 5

    assert store.switch("a", A, "b", B, save) is None  # b unknown: evaluate it
    assert saved == ["live"] and store.keys() == ["a"]
    found = store.switch("b", B, "a", [*A[:190], 1], lambda: ("blob-b", 5))
    assert found is not None and found[0] == "a" and found[1].blob == "blob-a"
    assert found[2] == 190
    assert set(store.keys()) == {"a", "b"}


def test_hand_over_files_a_live_or_saved_state_under_another_key() -> None:
    store: KVStateStore[str] = KVStateStore()
    store.put("file", A, "old", 1)
    # The live cache was filled under "follow": it becomes the file's, whose old state goes.
    assert store.hand_over("follow", "follow", "file") == "file"
    assert "file" not in store
    # A saved "follow" state is renamed; the live cache keeps its key.
    store.put("file", A, "old", 1)
    store.put("follow", B, "new", 1)
    assert store.hand_over("other", "follow", "file") == "other"
    assert store.keys() == ["file"]
    found = store.best(B, 0)
    assert found is not None and found[0] == "file" and found[1].blob == "new"
    assert store.hand_over("other", "missing", "file") == "other"  # nothing to hand over
    assert store.keys() == ["file"]


def test_holds_prefix_looks_at_the_live_cache_or_the_saved_state_of_a_key() -> None:
    store: KVStateStore[str] = KVStateStore()
    store.put("follow", A, "F", 1)
    assert store.holds_prefix("file", B, "follow", A[:50])  # saved
    assert not store.holds_prefix("file", B, "follow", [*A[:50], -1])
    assert store.holds_prefix("follow", B, "follow", B[:10])  # live: the saved copy is older
    assert not store.holds_prefix("follow", B[:5], "follow", B[:10])
    assert not store.holds_prefix("file", B, "missing", [])


def test_switch_within_one_file_saves_nothing() -> None:
    store: KVStateStore[str] = KVStateStore()
    assert store.switch("a", A, "a", A[:10], lambda: ("x", 1)) is None
    assert len(store) == 0


def test_reuse_keeps_the_common_prefix_and_moves_later_runs_down() -> None:
    cached = list(range(100))
    # The window lost lines 10-39 at its top: the rest moves down, nothing is evaluated again.
    plan = plan_reuse(cached, cached[:10] + cached[40:] + [999], min_run=16)
    assert plan.common == 10 and plan.moves == ((40, 10, 60),) and plan.reused == 70
    # A run shorter than min_run is not worth a move; what follows it is evaluated.
    plan = plan_reuse(cached, cached[:10] + cached[40:50] + [999] * 5, min_run=16)
    assert plan.moves == () and plan.reused == 10
    # Runs only move down: new text before a cached run makes it unusable (llama.cpp requires new
    # tokens after every cached position).
    plan = plan_reuse(cached, [7, 7, 7, *cached], min_run=16)
    assert plan.reused == 0
    # The last token is always evaluated again, so its logits are fresh.
    assert plan_reuse(cached, cached, min_run=16).reused == 99
    assert plan_reuse(cached, cached[:10] + cached[40:], min_run=16).reused == 69
    assert plan_reuse(cached, cached[:5] + cached[50:], min_run=0).reused == 5  # reuse off
    assert plan_reuse([], cached, min_run=16).reused == 0


def test_debounce_grows_with_typing_speed_and_vanishes_for_slow_typing() -> None:
    fast, slow = AdaptiveDebounce(max_s=1.0), AdaptiveDebounce(max_s=1.0)
    t = 0.0
    for _ in range(10):
        t += 0.08
        fast.keystroke(t)
    assert fast.delay(t) > 0
    u = 0.0
    for _ in range(10):
        u += 0.5
        slow.keystroke(u)
    assert slow.delay(u) == 0.0
    medium = AdaptiveDebounce(max_s=1.0)
    v = 0.0
    for _ in range(10):
        v += 0.2
        medium.keystroke(v)
    assert fast.delay(t) < medium.delay(v) or medium.delay(v) == 0.0


def test_debounce_is_capped_and_elapsed_time_counts() -> None:
    d = AdaptiveDebounce(max_s=0.05, factor=2.0)
    for i in range(5):
        d.keystroke(i * 0.1)
    assert d.delay(0.4) == 0.05
    assert d.delay(0.4 + 0.19) < 0.05
    assert d.delay(0.4 + 1.0) == 0.0  # a pause: no wait


def test_acceptance_detection() -> None:
    served = Served(before="x = ", after="\nend", text="compute(1)")
    assert accepted_suggestion(served, "x = compute(1)\nend", len("x = compute(1)"))
    assert not accepted_suggestion(served, "x = compute(2)\nend", len("x = compute(2)"))
    assert not accepted_suggestion(served, "x = compute(1)\nend", len("x = comp"))
    assert not accepted_suggestion(served, "x = compute(1)\nEND", len("x = compute(1)"))


def test_stats_summary() -> None:
    stats = EngineStats(keep=3)
    for i in range(5):
        stats.add(RequestStat(latency_ms=i, source="model", evaluated_tokens=i,
                              generated_tokens=10, generation_ms=500))  # fmt: skip
    stats.add(RequestStat(latency_ms=1, source="cache"))
    snap = stats.snapshot(recent=2)
    assert snap["requests"] == 3 and snap["cacheHits"] == 1
    assert snap["medianEvaluatedTokens"] == 3.5
    assert snap["tokensPerSecond"] == 20.0
    assert len(snap["recent"]) == 2


FILE = "".join(
    f"def f{i}(a, b):\n    total = compute(a, b) + offset_{i}\n    return total * {i}\n\n"
    for i in range(20)
)


def test_script_is_deterministic_and_types_real_lines() -> None:
    files = {"a.py": FILE, "b.py": FILE.replace("compute", "combine")}
    one = make_script(files, visits=6, seed=3)
    assert one == make_script(files, visits=6, seed=3)
    assert one != make_script(files, visits=6, seed=4)
    assert {v.file for v in one} == {"a.py", "b.py"}  # it moves between files
    for v in one:
        line = files[v.file].split("\n")[v.line]
        assert line[v.indent :] == v.target
        assert len(v.gaps) == len(v.target)
        assert all(0 < p < len(v.target) for p in v.pauses)


def test_helpers() -> None:
    assert line_offset("a\nbb\nccc", 2) == 5
    assert accepted_part("(a, b)\nmore", "(a, b) + 1") == "(a, b)"
    assert accepted_part("(a, c)", "(a, b)") == ""
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([], 95) == 0.0


def test_png_is_valid(tmp_path: Path) -> None:
    out = tmp_path / "h.png"
    histogram_png({"infilld": [10, 20, 30], "llama-server": [100, 2000]}, out)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat_len = struct.unpack(">I", data[33:37])[0]
    raw = zlib.decompress(data[41 : 41 + idat_len])
    assert len(raw) == height * (1 + 3 * width)
    assert any(b not in (0, 255) for b in raw)  # something coloured was drawn


def test_files_missing_from_the_repository_are_a_clear_error(tmp_path: Path) -> None:
    # The default --files are paths of infilld's own package: another --repo needs its own.
    (tmp_path / "a.py").write_text("x = 1\n")
    with pytest.raises(InfilldError, match=r"no b\.py under .*pass --files"):
        latency.main(["--repo", str(tmp_path), "--files", "a.py,b.py", "--backend", "fake"])
