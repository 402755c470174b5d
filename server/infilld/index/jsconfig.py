"""Path aliases from tsconfig.json and jsconfig.json, and the workspace's own packages from their
package.json, so `import { Button } from "@/ui/button"` and `import { db } from "@shop/db"` (a
sibling package of a monorepo) resolve to workspace files as a relative import does.

Applications rarely import their own code by relative path: `compilerOptions.paths` (`"@/*":
["./src/*"]`) and `baseUrl` let them write `@/ui/button` or `lib/db`. Without these, such an
import resolved to nothing, and the selection never offered that file's API. A config is read when
the index parses it (JSON with comments and trailing commas, as TypeScript accepts), its targets
made workspace-relative then; `extends` of another config in the workspace is followed when the
file set is built. A directory's config is the nearest tsconfig.json or jsconfig.json above it,
as TypeScript's editor service finds it. Configs in packages (`"extends": "@tsconfig/node20"`)
are outside the workspace and ignored.

A package.json names a package of the workspace; an import of that name (or of a path inside it)
means the package's own sources. Its entry fields point at build output more often than not
(`"main": "dist/index.js"`), which is not indexed, so `src/` and the package's folder are tried
with the same path too.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
from collections.abc import Mapping

import msgspec

log = logging.getLogger(__name__)

# The files read: those that apply to a directory, and the usual shared base they extend.
CONFIG_NAMES = frozenset({"tsconfig.json", "jsconfig.json"})
BASE_NAMES = frozenset({"tsconfig.base.json"})
PACKAGE_NAME = "package.json"
_ENTRY_FIELDS = ("source", "types", "typings", "module", "main")
_BUILD_DIRS = ("dist/", "build/", "lib/", "out/", "esm/", "cjs/")
MAX_EXTENDS = 8  # a chain longer than this is a cycle or a mistake


class JsConfig(msgspec.Struct, frozen=True):
    """One config file's aliases: (pattern, targets) with targets relative to the workspace root,
    `*` in both where the pattern has one; `extends` another config's workspace path, or ""."""

    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extends: str = ""
    sets_aliases: bool = False  # it says paths or baseUrl itself (else the extended ones hold)


_COMMENT_OR_STRING = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


class JsPackage(msgspec.Struct, frozen=True):
    """A package.json of the workspace: the package's name, and the workspace paths an import of
    the bare name may mean, best first (resolution tries each with the JS/TS extensions, and a
    `.js` path as its `.ts` source)."""

    name: str = ""
    entries: tuple[str, ...] = ()


def _strip_jsonc(text: str) -> str:
    """JSON from TypeScript's JSONC: comments dropped (not inside strings), trailing commas too."""
    no_comments = _COMMENT_OR_STRING.sub(
        lambda m: m.group() if m.group().startswith('"') else " ", text
    )
    # Trailing commas, outside strings: split on strings again so none is touched.
    parts = re.split(r'("(?:\\.|[^"\\])*")', no_comments)
    return "".join(p if i % 2 else _TRAILING_COMMA.sub(r"\1", p) for i, p in enumerate(parts))


def _join(*parts: str) -> str:
    joined = posixpath.normpath(posixpath.join("", *parts))
    return "" if joined == "." else joined


def parse_config(rel: str, text: str) -> JsConfig:
    """The aliases `rel` (a workspace-relative config path) declares. A config that does not
    parse declares none (logged): a broken tsconfig must not break the index."""
    try:
        raw = json.loads(_strip_jsonc(text))
    except ValueError as exc:
        log.info("%s: not valid JSON with comments (%s); its path aliases are ignored", rel, exc)
        return JsConfig()
    if not isinstance(raw, dict):
        return JsConfig()
    here = posixpath.dirname(rel)
    extends = raw.get("extends")
    # TypeScript 5 takes a list, the later entries overriding: the last one in the workspace.
    chain = extends if isinstance(extends, list) else [extends]
    relative = [e for e in chain if isinstance(e, str) and e.startswith(".")]
    extended = ""
    if relative:
        target = _join(here, relative[-1])
        extended = target if target.endswith(".json") else target + ".json"
    options = raw.get("compilerOptions")
    options = options if isinstance(options, dict) else {}
    base_url = options.get("baseUrl")
    paths = options.get("paths")
    base = _join(here, base_url) if isinstance(base_url, str) else None
    aliases: list[tuple[str, tuple[str, ...]]] = []
    if isinstance(paths, dict):
        for pattern, targets in paths.items():
            if not isinstance(targets, list) or pattern.count("*") > 1:
                continue
            # Targets are relative to baseUrl, or to the config itself without one (TS 4.1+).
            joined = tuple(
                _join(base if base is not None else here, t)
                for t in targets
                if isinstance(t, str) and t.count("*") <= 1 and not posixpath.isabs(t)
            )
            if joined:
                aliases.append((pattern, joined))
    if base is not None:
        aliases.append(("*", (_join(base, "*"),)))  # baseUrl alone: `lib/db` is base/lib/db
    return JsConfig(
        aliases=tuple(aliases),
        extends=extended,
        sets_aliases=isinstance(paths, dict) or base is not None,
    )


def parse_package(rel: str, text: str) -> JsPackage:
    """The package `rel` (a workspace-relative package.json) declares; an unnamed or unreadable
    one declares none."""
    try:
        raw = json.loads(text)
    except ValueError:
        log.info("%s: not valid JSON; its package is not resolved", rel)
        return JsPackage()
    name = raw.get("name") if isinstance(raw, dict) else None
    if not isinstance(name, str) or not name:
        return JsPackage()
    here = posixpath.dirname(rel)
    fields = [raw.get(f) for f in _ENTRY_FIELDS]
    exports = raw.get("exports")
    dot = exports.get(".", exports) if isinstance(exports, dict) else exports
    fields += _condition_targets(dot)
    entries: list[str] = []
    for value in fields:
        if not isinstance(value, str) or posixpath.isabs(value) or "*" in value:
            continue
        path = _join(value)
        # Compiled output is not indexed: the same path under src/, or without the build dir
        # (resolution then tries the extensions, `.js` standing for `.ts`).
        built = next((d for d in _BUILD_DIRS if path.startswith(d)), None)
        tries = [path] if built is None else [path, _join("src", path[len(built) :])]
        if built is not None:
            tries.append(path[len(built) :])
        for t in tries:
            full = _join(here, t)
            if full not in entries:
                entries.append(full)
    for fallback in ("src/index", "index"):
        full = _join(here, fallback)
        if full not in entries:
            entries.append(full)
    return JsPackage(name=name, entries=tuple(entries))


def _condition_targets(value: object, depth: int = 0) -> list[object]:
    """The paths of an `exports` entry: a string, or conditions (`{"import": {"types": ...,
    "default": ...}}`) nested a few levels, in the order written."""
    if isinstance(value, dict) and depth < 4:
        return [t for v in value.values() for t in _condition_targets(v, depth + 1)]
    return [value]


def package_targets(packages: Mapping[str, tuple[str, ...]], specifier: str) -> list[str]:
    """The workspace paths an import of `specifier` may mean when it names a workspace package
    (`@shop/db`, or `@shop/db/schema` inside it); [] otherwise. `packages`: name -> the folder
    first, then its entries."""
    parts = specifier.split("/")
    name = "/".join(parts[:2]) if specifier.startswith("@") else parts[0]
    found = packages.get(name)
    if found is None:
        return []
    folder, entries = found[0], found[1:]
    sub = specifier[len(name) :].lstrip("/")
    if not sub:
        return list(entries)
    return [_join(folder, "src", sub), _join(folder, sub)]


def effective_aliases(
    configs: Mapping[str, JsConfig],
) -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """Directory -> the aliases of the tsconfig.json or jsconfig.json in it, `extends` followed
    (a config that sets neither paths nor baseUrl has those of the config it extends)."""
    out: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
    for rel, config in configs.items():
        if posixpath.basename(rel) not in CONFIG_NAMES:
            continue
        current, seen = config, {rel}
        while not current.sets_aliases and current.extends and len(seen) <= MAX_EXTENDS:
            following = configs.get(current.extends)
            if following is None or current.extends in seen:
                break
            seen.add(current.extends)
            current = following
        directory = posixpath.dirname(rel)
        if current.aliases and (directory not in out or rel.endswith("tsconfig.json")):
            out[directory] = current.aliases  # tsconfig.json wins over jsconfig.json
    return out


def alias_targets(aliases: tuple[tuple[str, tuple[str, ...]], ...], specifier: str) -> list[str]:
    """The workspace paths (without extension) `specifier` may be, by the patterns it matches:
    an exact pattern first, then the one with the longest prefix before its `*`, as TypeScript
    chooses."""
    matches: list[tuple[int, list[str]]] = []
    for pattern, targets in aliases:
        if "*" not in pattern:
            if pattern == specifier:
                matches.append((len(pattern) + 1, list(targets)))
            continue
        prefix, _, suffix = pattern.partition("*")
        if (
            specifier.startswith(prefix)
            and specifier.endswith(suffix)
            and len(specifier) >= len(prefix) + len(suffix)
        ):
            star = specifier[len(prefix) : len(specifier) - len(suffix)]
            matches.append((len(prefix), [t.replace("*", star) for t in targets]))
    matches.sort(key=lambda m: -m[0])
    return [target for _, targets in matches for target in targets]


__all__ = [
    "BASE_NAMES",
    "CONFIG_NAMES",
    "PACKAGE_NAME",
    "JsConfig",
    "JsPackage",
    "alias_targets",
    "effective_aliases",
    "package_targets",
    "parse_config",
    "parse_package",
]
