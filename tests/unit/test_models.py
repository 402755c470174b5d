"""Model registry, verification (missing / truncated / corrupt / not GGUF), stamps, and the atomic,
verified fetch from a URL source."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from infilld.errors import (
    ModelCorruptError,
    ModelError,
    ModelFetchError,
    ModelMissingError,
    UnknownModelError,
)
from infilld.models import verify
from infilld.models.fetch import _fetch_from, ensure_model, pull, resolve_model
from infilld.models.registry import ModelEntry, Source, cache_dir, load_registry
from infilld.models.verify import read_stamp, stamp_path, verify_model

PAYLOAD = b"GGUF" + bytes(range(256)) * 64


@pytest.fixture(autouse=True)
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "models"
    monkeypatch.setenv("INFILLD_MODELS_DIR", str(d))
    return d


def entry_for(
    data: bytes, *, sha: str | None = None, sources: list[Source] | None = None
) -> ModelEntry:
    return ModelEntry(
        name="tiny-test-model",
        file="tiny-test-model.gguf",
        params="0B",
        variant="base",
        quant="Q0",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest() if sha is None else sha,
        source=sources or [],
    )


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- registry -------------------------------------------------------------------------------------


def test_registry_loads_with_the_default_model() -> None:
    reg = load_registry()
    default = reg.get(reg.default)
    assert default.name == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    assert default.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert default.size == 491_400_064
    assert {s.kind for s in default.source} >= {"pypi-chunks", "url"}
    assert reg.get(default.file) is default  # by file name too


def test_registry_entries_are_well_formed() -> None:
    for e in load_registry().model:
        assert e.file.endswith(".gguf"), e.name
        assert not e.sha256 or re.fullmatch(r"[0-9a-f]{64}", e.sha256), e.name
        assert e.source, f"{e.name} has no source"
        for s in e.source:
            if s.kind == "pypi-chunks":
                assert s.packages and all("==" in p for p in s.packages), "pin chunk versions"
                assert e.sha256 and e.size, "offline chunks are only safe with a sha256"
            else:
                assert s.url.startswith("https://"), s.url


def test_unknown_model_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownModelError, match=r"qwen2\.5-coder-0\.5b-instruct-q4_k_m"):
        load_registry().get("no-such-model")


def test_unreadable_registry_is_a_clear_error(tmp_path: Path) -> None:
    bad = write(tmp_path / "registry.toml", b"schema = [")
    with pytest.raises(ModelError, match=r"registry .* is unreadable"):
        load_registry(bad)


def test_cache_dir_follows_the_environment(models_dir: Path) -> None:
    assert cache_dir() == models_dir


def test_resolve_name_and_path(tmp_path: Path, models_dir: Path) -> None:
    path, entry = resolve_model("qwen2.5-coder-0.5b-instruct-q4_k_m")
    assert entry is not None and path == models_dir / entry.file
    other = tmp_path / "mine.gguf"
    assert resolve_model(str(other)) == (other, None)


# -- verification ---------------------------------------------------------------------------------


def test_verify_good_file_writes_a_stamp(tmp_path: Path) -> None:
    f = write(tmp_path / "m.gguf", PAYLOAD)
    digest = verify_model(f, entry_for(PAYLOAD))
    assert digest == hashlib.sha256(PAYLOAD).hexdigest()
    stamp = read_stamp(f)
    assert stamp is not None and stamp.sha256 == digest and stamp.size == len(PAYLOAD)


def test_verify_trusts_a_valid_stamp_and_rehashes_a_stale_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = write(tmp_path / "m.gguf", PAYLOAD)
    verify_model(f, entry_for(PAYLOAD))
    calls: list[Path] = []
    real = verify.sha256_file
    monkeypatch.setattr(verify, "sha256_file", lambda p: calls.append(p) or real(p))
    verify_model(f, entry_for(PAYLOAD))
    assert calls == []  # stamp matched size and mtime: no re-hash
    verify_model(f, entry_for(PAYLOAD), full=True)
    assert calls == [f]
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert read_stamp(f) is None  # a touched file is not trusted any more
    verify_model(f, entry_for(PAYLOAD))
    assert len(calls) == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="does not exist"):
        verify_model(tmp_path / "absent.gguf", None)


def test_not_a_gguf_file(tmp_path: Path) -> None:
    f = write(tmp_path / "notes.gguf", b"<html>404 not found</html>")
    with pytest.raises(ModelCorruptError, match="not a GGUF model file"):
        verify_model(f, None)
    with pytest.raises(ModelCorruptError, match="not a GGUF"):
        verify_model(write(tmp_path / "empty.gguf", b""), None)


def test_truncated_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    f = write(tmp_path / "m.gguf", PAYLOAD[:-100])
    with pytest.raises(ModelCorruptError) as info:
        verify_model(f, entry_for(PAYLOAD))
    msg = str(info.value)
    assert str(f) in msg and "truncated" in msg and "infilld models pull tiny-test-model" in msg
    assert read_stamp(f) is None


def test_corrupt_file_same_size(tmp_path: Path) -> None:
    bad = PAYLOAD[:-1] + b"\x00"
    f = write(tmp_path / "m.gguf", bad)
    with pytest.raises(ModelCorruptError, match="corrupt"):
        verify_model(f, entry_for(PAYLOAD))
    assert read_stamp(f) is None, "a corrupt file must never be stamped as verified"


def test_a_file_corrupted_after_verification_is_caught(tmp_path: Path) -> None:
    f = write(tmp_path / "m.gguf", PAYLOAD)
    verify_model(f, entry_for(PAYLOAD))
    st = f.stat()
    write(f, PAYLOAD[:-1] + b"\x01")  # same size, different bytes, written later
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(ModelCorruptError, match="corrupt"):
        verify_model(f, entry_for(PAYLOAD))


def test_ensure_model_not_pulled_says_how_to_pull(models_dir: Path) -> None:
    with pytest.raises(ModelMissingError, match=r"infilld models pull qwen2\.5-coder-0\.5b"):
        ensure_model("qwen2.5-coder-0.5b-instruct-q4_k_m")


def test_ensure_model_with_a_path(tmp_path: Path) -> None:
    f = write(tmp_path / "custom.gguf", PAYLOAD)
    assert ensure_model(str(f)) == f
    with pytest.raises(ModelMissingError):
        ensure_model(str(tmp_path / "nope.gguf"))


# -- fetching -------------------------------------------------------------------------------------


def test_fetch_from_url_with_good_sha(tmp_path: Path, models_dir: Path) -> None:
    src = write(tmp_path / "src" / "upstream.gguf", PAYLOAD)
    entry = entry_for(PAYLOAD)
    dest = models_dir / entry.file
    dest.parent.mkdir(parents=True)
    progress: list[tuple[int, int, str]] = []
    _fetch_from(Source(kind="url", url=src.as_uri()), entry, dest, lambda *a: progress.append(a))
    assert dest.read_bytes() == PAYLOAD
    stamp = read_stamp(dest)
    assert stamp is not None and stamp.sha256 == entry.sha256
    assert progress[-1] == (len(PAYLOAD), len(PAYLOAD), "verified")
    assert sorted(p.name for p in models_dir.iterdir()) == [entry.file, stamp_path(dest).name]


def test_fetch_from_url_with_bad_sha_leaves_nothing(tmp_path: Path, models_dir: Path) -> None:
    src = write(tmp_path / "src" / "upstream.gguf", PAYLOAD)
    entry = entry_for(PAYLOAD, sha="0" * 64)
    dest = models_dir / entry.file
    dest.parent.mkdir(parents=True)
    with pytest.raises(ModelCorruptError, match="does not match"):
        _fetch_from(Source(kind="url", url=src.as_uri()), entry, dest, None)
    assert list(models_dir.iterdir()) == []


def test_fetch_with_wrong_size_leaves_nothing(tmp_path: Path, models_dir: Path) -> None:
    src = write(tmp_path / "src" / "upstream.gguf", PAYLOAD[:100])
    entry = entry_for(PAYLOAD)
    dest = models_dir / entry.file
    dest.parent.mkdir(parents=True)
    with pytest.raises(ModelCorruptError, match="expected"):
        _fetch_from(Source(kind="url", url=src.as_uri()), entry, dest, None)
    assert list(models_dir.iterdir()) == []


def test_failed_fetch_keeps_an_existing_good_file(tmp_path: Path, models_dir: Path) -> None:
    entry = entry_for(PAYLOAD, sha="0" * 64)
    dest = write(models_dir / entry.file, b"GGUF previous")
    src = write(tmp_path / "src" / "upstream.gguf", PAYLOAD)
    with pytest.raises(ModelCorruptError):
        _fetch_from(Source(kind="url", url=src.as_uri()), entry, dest, None)
    assert dest.read_bytes() == b"GGUF previous"  # never half-replaced


def test_pull_falls_back_to_the_next_source(tmp_path: Path, models_dir: Path) -> None:
    src = write(tmp_path / "src" / "upstream.gguf", PAYLOAD)
    missing = Source(kind="url", url=(tmp_path / "src" / "gone.gguf").as_uri())
    entry = entry_for(PAYLOAD, sources=[missing, Source(kind="url", url=src.as_uri())])
    path = pull(entry)
    assert path == models_dir / entry.file and path.read_bytes() == PAYLOAD
    # a verified copy is not fetched again, even with every source gone
    src.unlink()
    assert pull(entry) == path


def test_pull_with_no_working_source_names_each_failure(tmp_path: Path, models_dir: Path) -> None:
    gone = Source(kind="url", url=(tmp_path / "gone.gguf").as_uri())
    with pytest.raises(ModelFetchError, match="could not fetch tiny-test-model: url: download"):
        pull(entry_for(PAYLOAD, sources=[gone]))
    assert not any(models_dir.glob("*.gguf*"))


def test_pull_replaces_a_corrupt_cached_copy(tmp_path: Path, models_dir: Path) -> None:
    src = write(tmp_path / "src" / "upstream.gguf", PAYLOAD)
    entry = entry_for(PAYLOAD, sources=[Source(kind="url", url=src.as_uri())])
    write(models_dir / entry.file, PAYLOAD[:-1] + b"\x01")
    assert pull(entry).read_bytes() == PAYLOAD
