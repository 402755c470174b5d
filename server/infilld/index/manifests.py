"""The non-source files import resolution reads: go.mod (the module path), Cargo.toml (a crate's
name and root), tsconfig.json / jsconfig.json (path aliases) and package.json (the workspace's own
packages). Each is parsed into its index entry when the index reads it (`manifest_entry`).

Path aliases from tsconfig.json and jsconfig.json, and the workspace's own packages from their
package.json, make `import { Button } from "@/ui/button"` and `import { db } from "@shop/db"` (a
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
import tomllib
from collections.abc import Mapping

import msgspec

from infilld.index.model import FileEntry, JsConfig, JsPackage
from infilld.index.resolve import join_rel

log = logging.getLogger(__name__)

# The files read: those that apply to a directory, and the usual shared base they extend.
CONFIG_NAMES = frozenset({"tsconfig.json", "jsconfig.json"})
BASE_NAMES = frozenset({"tsconfig.base.json"})
GO_MOD = "go.mod"
CARGO_TOML = "Cargo.toml"
PACKAGE_JSON = "package.json"
JS_CONFIG = "jsconfig"
# A manifest's file name -> its kind, which its index entry carries as its language.
MANIFEST_KINDS = {
    GO_MOD: GO_MOD,
    CARGO_TOML: CARGO_TOML,
    PACKAGE_JSON: PACKAGE_JSON,
    **dict.fromkeys(CONFIG_NAMES | BASE_NAMES, JS_CONFIG),
}
MANIFEST_LANGUAGES = frozenset(MANIFEST_KINDS.values())
_GO_MODULE = re.compile(r"^\s*module\s+\"?([^\s\"]+)", re.MULTILINE)
_ENTRY_FIELDS = ("source", "types", "typings", "module", "main")
_BUILD_DIRS = ("dist/", "build/", "lib/", "out/", "esm/", "cjs/")
MAX_EXTENDS = 8  # a chain longer than this is a cycle or a mistake


_COMMENT_OR_STRING = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def manifest_entry(entry: FileEntry, text: str) -> FileEntry:
    """`entry` (a manifest's, its language the manifest's kind) with what resolution reads from
    the manifest's `text`."""
    if entry.language == GO_MOD:
        match = _GO_MODULE.search(text)
        return msgspec.structs.replace(entry, go_module=match.group(1) if match else "")
    if entry.language == CARGO_TOML:
        crate, root = _rust_crate(entry.path, text)
        return msgspec.structs.replace(entry, rust_crate=crate, rust_crate_src=root)
    if entry.language == PACKAGE_JSON:
        return msgspec.structs.replace(entry, js_package=parse_package(entry.path, text))
    return msgspec.structs.replace(entry, js_config=parse_config(entry.path, text))


def _rust_crate(rel: str, text: str) -> tuple[str, str]:
    """(name, root file) of the library crate a Cargo.toml declares, as other crates of a Cargo
    workspace `use` it (`regex-syntax` is `regex_syntax`; the root is `[lib] path`, else
    src/lib.rs); ("", "") when it names none (a workspace root, or a file that does not parse)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        log.info("%s does not parse (%s); its crate is not resolved", rel, exc)
        return "", ""
    package, lib = raw.get("package"), raw.get("lib")
    lib = lib if isinstance(lib, dict) else {}
    name = lib.get("name") or (package.get("name") if isinstance(package, dict) else None)
    if not isinstance(name, str) or not name:
        return "", ""
    path = lib.get("path")
    root = path if isinstance(path, str) else "src/lib.rs"
    return name.replace("-", "_"), join_rel(posixpath.dirname(rel), root)


def _strip_jsonc(text: str) -> str:
    """JSON from TypeScript's JSONC: comments dropped (not inside strings), trailing commas too."""
    no_comments = _COMMENT_OR_STRING.sub(
        lambda m: m.group() if m.group().startswith('"') else " ", text
    )
    # Trailing commas, outside strings: split on strings again so none is touched.
    parts = re.split(r'("(?:\\.|[^"\\])*")', no_comments)
    return "".join(p if i % 2 else _TRAILING_COMMA.sub(r"\1", p) for i, p in enumerate(parts))


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
        target = join_rel(here, relative[-1])
        extended = target if target.endswith(".json") else target + ".json"
    options = raw.get("compilerOptions")
    options = options if isinstance(options, dict) else {}
    base_url = options.get("baseUrl")
    paths = options.get("paths")
    base = join_rel(here, base_url) if isinstance(base_url, str) else None
    aliases: list[tuple[str, tuple[str, ...]]] = []
    if isinstance(paths, dict):
        for pattern, targets in paths.items():
            if not isinstance(targets, list) or pattern.count("*") > 1:
                continue
            # Targets are relative to baseUrl, or to the config itself without one (TS 4.1+).
            joined = tuple(
                join_rel(base if base is not None else here, t)
                for t in targets
                if isinstance(t, str) and t.count("*") <= 1 and not posixpath.isabs(t)
            )
            if joined:
                aliases.append((pattern, joined))
    if base is not None:
        aliases.append(("*", (join_rel(base, "*"),)))  # baseUrl alone: `lib/db` is base/lib/db
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
        path = join_rel(value)
        # Compiled output is not indexed: the same path under src/, or without the build dir
        # (resolution then tries the extensions, `.js` standing for `.ts`).
        built = next((d for d in _BUILD_DIRS if path.startswith(d)), None)
        tries = [path] if built is None else [path, join_rel("src", path[len(built) :])]
        if built is not None:
            tries.append(path[len(built) :])
        for t in tries:
            full = join_rel(here, t)
            if full not in entries:
                entries.append(full)
    for fallback in ("src/index", "index"):
        full = join_rel(here, fallback)
        if full not in entries:
            entries.append(full)
    return JsPackage(name=name, entries=tuple(entries))


def _condition_targets(value: object, depth: int = 0) -> list[object]:
    """The paths of an `exports` entry: a string, or conditions (`{"import": {"types": ...,
    "default": ...}}`) nested a few levels, in the order written."""
    if isinstance(value, dict) and depth < 4:
        return [t for v in value.values() for t in _condition_targets(v, depth + 1)]
    return [value]


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


__all__ = [
    "BASE_NAMES",
    "CARGO_TOML",
    "CONFIG_NAMES",
    "GO_MOD",
    "JS_CONFIG",
    "MANIFEST_KINDS",
    "MANIFEST_LANGUAGES",
    "PACKAGE_JSON",
    "effective_aliases",
    "manifest_entry",
    "parse_config",
    "parse_package",
]
