"""The common .gitignore rules, implemented here to avoid a dependency.

Supported: comments, `\\#`/`\\!` escapes, trailing-space trimming, negation (`!`), directory-only
patterns (`dir/`), anchoring (a leading or inner `/`), `*`, `?`, `[...]` classes and `**` in all
its positions; nested .gitignore files apply below their directory and later rules win. As in
git, nothing inside an ignored directory can be re-included (the walker never descends there).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool


def _translate(pattern: str) -> str:
    """A gitignore glob (already stripped of `!`, anchors and trailing `/`) as a regex body."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_start = i == 0 or pattern[i - 1] == "/"
                at_end = i + 2 == n or pattern[i + 2] == "/"
                if at_start and at_end:
                    if i + 2 == n:
                        out.append(".*")  # trailing /** : everything inside
                        i += 2
                    else:
                        out.append("(?:.*/)?")  # **/ : zero or more directories
                        i += 3
                    continue
            out.append("[^/]*")
            i += 1
            while i < n and pattern[i] == "*":
                i += 1
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 2 if i + 1 < n and pattern[i + 1] in "!^" else i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_rules(text: str) -> list[Rule]:
    rules: list[Rule] = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        # Trailing spaces are ignored unless escaped with a backslash.
        while line.endswith(" ") and not line.endswith("\\ "):
            line = line[:-1]
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated or line.startswith("\\#") or line.startswith("\\!"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        body = _translate(line)
        prefix = "" if anchored else "(?:.*/)?"
        try:
            regex = re.compile(f"^{prefix}{body}$", re.DOTALL)
        except re.error:
            log.debug("unparseable gitignore pattern %r", raw)
            continue
        rules.append(Rule(regex=regex, negated=negated, dir_only=dir_only))
    return rules


class IgnoreRules:
    """Answers "is this workspace path ignored?" from the .gitignore files along its directories.

    Parsed files are cached per directory; `invalidate` drops them when a .gitignore changes.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, list[Rule]] = {}
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def _rules_for(self, rel_dir: str) -> list[Rule]:
        with self._lock:
            cached = self._cache.get(rel_dir)
        if cached is not None:
            return cached
        directory = self.root / rel_dir if rel_dir else self.root
        rules: list[Rule] = []
        sources = [directory / ".gitignore"]
        if not rel_dir:
            sources.insert(0, self.root / ".git" / "info" / "exclude")
        for source in sources:
            with contextlib.suppress(OSError):
                rules.extend(parse_rules(source.read_text(encoding="utf-8", errors="replace")))
        with self._lock:
            self._cache[rel_dir] = rules
        return rules

    def matches(self, rel_path: str, is_dir: bool) -> bool:
        """Whether rel_path itself is ignored, given that its parent directories are not."""
        parts = rel_path.split("/")
        ignored = False
        # Rules from the root's .gitignore first, deeper files override (later rules win).
        for depth in range(len(parts)):
            rel_dir = "/".join(parts[:depth])
            sub = "/".join(parts[depth:])
            for rule in self._rules_for(rel_dir):
                if rule.dir_only and not is_dir:
                    continue
                if rule.regex.match(sub):
                    ignored = not rule.negated
        return ignored

    def is_ignored(self, rel_path: str, is_dir: bool = False) -> bool:
        """Whether rel_path or any directory above it is ignored."""
        parts = rel_path.split("/")
        for depth in range(1, len(parts)):
            if self.matches("/".join(parts[:depth]), is_dir=True):
                return True
        return self.matches(rel_path, is_dir)
