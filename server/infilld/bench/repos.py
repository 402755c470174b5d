"""The quality benchmark's repositories (quality_repos.toml): load the list, fetch and unpack them.

The repositories are fetched as registry archives with the registries' own clients (`pip
download` for PyPI sdists, `npm pack` for npm tarballs, `apt-get download` for Debian packages)
into a cache outside the checkout. Each entry says which split it belongs to: `dev` repositories
may be looked at while tuning, `heldout` ones are only run for the final numbers; both hold
packages first published in 2025 or later, newer than the model's training data. `other` holds
one or two repositories per further language (Go, Rust, PHP, Java, C#, C++, CommonJS
JavaScript), older code, for comparing the context modes with each other there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path
from typing import Literal

import msgspec

from infilld.errors import InfilldError

REPOS_FILE = Path(__file__).with_name("quality_repos.toml")


class BenchRepo(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # registry package name
    version: str
    registry: Literal["pypi", "npm", "debian"]
    language: str
    split: Literal["dev", "heldout", "other"]
    first_release: str  # YYYY-MM
    root: str = ""  # folder inside the unpacked archive that the benchmark indexes
    why: str = ""

    @property
    def slug(self) -> str:
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}"


class _RepoFile(msgspec.Struct):
    repo: list[BenchRepo]


def load_repos(path: Path = REPOS_FILE) -> list[BenchRepo]:
    with open(path, "rb") as fh:
        return msgspec.convert(tomllib.load(fh), _RepoFile).repo


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "infilld" / "bench-repos"


def repo_dir(repo: BenchRepo, cache: Path) -> Path:
    """Where the repository's indexed root lies once fetched (it may not exist yet)."""
    unpacked = cache / repo.slug
    if repo.registry == "debian":  # a filesystem tree: `root` starts at its top (usr/share/...)
        return unpacked / repo.root if repo.root else unpacked
    tops = [p for p in unpacked.iterdir() if p.is_dir()] if unpacked.is_dir() else []
    top = tops[0] if len(tops) == 1 else unpacked  # archives wrap everything in one folder
    return top / repo.root if repo.root else top


def _download(repo: BenchRepo, into: Path) -> Path:
    """Fetch the archive into `into` (one folder per repository, so the archive is the only one)."""
    into.mkdir(parents=True, exist_ok=True)
    if repo.registry == "pypi":
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--no-binary", ":all:", "-d", str(into), f"{repo.name}=={repo.version}",
        ]  # fmt: skip
    elif repo.registry == "debian":
        if shutil.which("apt-get") is None:
            raise InfilldError(f"apt-get is needed to fetch the Debian package {repo.name}")
        cmd = ["apt-get", "download", "-q", f"{repo.name}={repo.version}"]
    else:
        npm = shutil.which("npm")
        if npm is None:
            raise InfilldError(f"npm is needed to fetch {repo.name}; install Node.js")
        cmd = [
            npm,
            "pack",
            "--silent",
            "--pack-destination",
            str(into),
            f"{repo.name}@{repo.version}",
        ]
    _run(cmd, f"fetch {repo.name} {repo.version}", cwd=into)  # apt-get writes into cwd
    archives = sorted(p for p in into.iterdir() if p.name.endswith((".tar.gz", ".tgz", ".deb")))
    if len(archives) != 1:
        raise InfilldError(f"{repo.name} {repo.version}: expected one archive in {into}")
    return archives[0]


def _run(cmd: list[str], what: str, *, cwd: Path | None = None) -> None:
    """Run a registry or packaging tool; its stderr becomes the error if it fails."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise InfilldError(f"could not {what}: {done.stderr.strip()}")


def _unpack_deb(archive: Path, into: Path) -> None:
    if shutil.which("dpkg-deb") is None:
        raise InfilldError(f"dpkg-deb is needed to unpack {archive.name}")
    _run(["dpkg-deb", "-x", str(archive), str(into)], f"unpack {archive.name}")


def fetch_repo(repo: BenchRepo, cache: Path) -> Path:
    """Download and unpack `repo` unless it is already there; returns its indexed root."""
    target = cache / repo.slug
    if not target.is_dir():
        archive = _download(repo, cache / "archives" / repo.slug)
        partial = cache / f".{repo.slug}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        if archive.suffix == ".deb":
            _unpack_deb(archive, partial)
        else:
            with tarfile.open(archive) as tar:
                tar.extractall(partial, filter="data")  # "data": no links out, no device files
        partial.rename(target)  # atomic: a half-unpacked folder is never taken as done
    root = repo_dir(repo, cache)
    if not root.is_dir():
        raise InfilldError(f"{repo.name} {repo.version}: {root} is missing after unpacking")
    return root


__all__ = ["REPOS_FILE", "BenchRepo", "default_cache", "fetch_repo", "load_repos", "repo_dir"]
