"""Resolve imports to workspace files, per language, against the set of indexed files.

Resolution only consults the in-memory file set (no disk access), so it is cheap enough to run on
every request and always agrees with what the index holds. Imports of things outside the
workspace (the standard library, packages) resolve to nothing, which is what we want: the model
knows those already.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from infilld.index.model import ImportSpec, Symbol

JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_LANGS = frozenset({"javascript", "typescript", "typescriptreact"})


@dataclass
class FileSet:
    """The indexed paths plus lookups the resolvers need, rebuilt when the set changes."""

    paths: frozenset[str]
    go_modules: Mapping[str, str]  # module path -> directory (relative, "" for the root)
    # C# file -> the namespaces it declares, () for the global namespace (csharp_namespaces)
    namespaces: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # C#'s `global using`s of any file, which every C# file has (csharp_global_usings)
    global_usings: tuple[ImportSpec, ...] = ()
    by_dir: dict[str, list[str]] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    by_namespace: dict[str, list[str]] = field(default_factory=dict)  # "" is the global one
    # directory -> the path aliases of its tsconfig.json / jsconfig.json (manifests.py)
    js_aliases: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(default_factory=dict)
    # package name -> its folder, then the paths its bare name may mean (manifests.parse_package)
    js_packages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rust_crates: Mapping[str, str] = field(default_factory=dict)  # crate -> its root file

    def __post_init__(self) -> None:
        for path in sorted(self.paths):
            directory, _, name = path.rpartition("/")
            self.by_dir.setdefault(directory, []).append(path)
            self.by_name.setdefault(name, []).append(path)
            declared = self.namespaces.get(path)
            if declared is not None:  # a C# file; declaring none, it is in the global namespace
                for namespace in declared or ("",):
                    self.by_namespace.setdefault(namespace, []).append(path)

    def first(self, candidates: Iterable[str]) -> str | None:
        for candidate in candidates:
            norm = posixpath.normpath(candidate) if candidate else candidate
            if norm in self.paths:
                return norm
        return None

    def with_suffix(self, suffix: str) -> list[str]:
        """Indexed paths equal to `suffix` or ending with `/suffix`."""
        name = suffix.rpartition("/")[2]
        return [p for p in self.by_name.get(name, ()) if p == suffix or p.endswith("/" + suffix)]


def _dir(rel: str) -> str:
    return rel.rpartition("/")[0]


def join_rel(*parts: str) -> str:
    """The parts joined and normalized; "" for the workspace root (all parts empty, or `a/..`)."""
    joined = posixpath.normpath(posixpath.join("", *parts))
    return "" if joined == "." else joined


def _closest(rel: str, hits: list[str]) -> str | None:
    """Among same-suffix candidates, the one nearest the importing file (then the shortest)."""
    if not hits:
        return None
    here = rel.split("/")[:-1]

    def shared(path: str) -> int:
        n = 0
        for a, b in zip(here, path.split("/")[:-1], strict=False):
            if a != b:
                break
            n += 1
        return n

    return min(hits, key=lambda p: (-shared(p), p.count("/"), p))


def _python(rel: str, spec: ImportSpec, files: FileSet) -> list[str]:
    source = spec.source
    dots = len(source) - len(source.lstrip("."))
    module = source[dots:].replace(".", "/")
    found: list[str] = []

    def lookup(stem: str) -> str | None:
        candidates = [f"{stem}.py", f"{stem}.pyi", f"{stem}/__init__.py"]
        if dots:
            return files.first(candidates)
        # Absolute imports: the package may live at the root, under src/, server/, lib/...:
        # match the path suffix and prefer the copy nearest the importing file.
        for candidate in candidates:
            hit = _closest(rel, files.with_suffix(candidate))
            if hit:
                return hit
        return None

    if dots:
        base = _dir(rel)
        for _ in range(dots - 1):
            base = _dir(base)
        stem = join_rel(base, module)
    else:
        stem = module
    if spec.names and spec.kind != "wildcard":
        # `from pkg import mod` may name submodules rather than attributes.
        for name in spec.names:
            hit = lookup(join_rel(stem, name))
            if hit and hit not in found:
                found.append(hit)
    hit = lookup(stem) if stem else None
    if hit and hit not in found:
        found.append(hit)
    return found


def _js(rel: str, spec: ImportSpec, files: FileSet) -> list[str]:
    source = spec.source
    if source.startswith("."):
        targets = [join_rel(_dir(rel), source)]
    else:
        # A bare specifier is a package (node_modules), unless the nearest tsconfig.json or
        # jsconfig.json maps it into the workspace (`@/ui/button`, or `lib/db` under baseUrl),
        # or it names a package of the workspace itself (a monorepo's `@shop/db`).
        targets = alias_targets(_nearest_aliases(rel, files), source)
        targets += package_targets(files.js_packages, source)
    for target in targets:
        hit = files.first(_js_candidates(target))
        if hit:
            return [hit]
    return []


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
    return [join_rel(folder, "src", sub), join_rel(folder, sub)]


def _nearest_aliases(rel: str, files: FileSet) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not files.js_aliases:
        return ()
    directory = _dir(rel)
    while True:
        found = files.js_aliases.get(directory)
        if found is not None:
            return found
        if not directory:
            return ()
        directory = _dir(directory)


def _js_candidates(target: str) -> list[str]:
    """The files an import of `target` (a workspace path) may mean: itself, with an extension,
    or its folder's index file."""
    stems = [target]
    # TypeScript's ESM style imports "./x.js" for a file named x.ts.
    root, ext = posixpath.splitext(target)
    if ext in {".js", ".jsx", ".mjs", ".cjs"}:
        stems.append(root)
    candidates: list[str] = [target]
    for stem in stems:
        candidates.extend(stem + e for e in JS_EXTENSIONS)
        candidates.extend(f"{stem}/index{e}" for e in JS_EXTENSIONS)
    return candidates


def _go(rel: str, spec: ImportSpec, files: FileSet) -> list[str]:
    best = ""
    for module in files.go_modules:
        if (spec.source == module or spec.source.startswith(module + "/")) and len(module) > len(
            best
        ):
            best = module
    if not best:
        return []
    package_dir = join_rel(files.go_modules[best], spec.source[len(best) :].lstrip("/"))
    return [
        p
        for p in files.by_dir.get(package_dir, ())
        if p.endswith(".go") and not p.endswith("_test.go")
    ]


def _expand_use(tree: str) -> list[str]:
    """`a::{b, c::{d, e as f}}` -> ["a::b", "a::c::d", "a::c::e"]; `self` names the prefix."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    open_at = tree.find("{")
    if open_at < 0:
        return [tree]
    prefix = tree[:open_at]
    inner = tree[open_at + 1 : tree.rfind("}")]
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        current += ch
    parts.append(current)
    out: list[str] = []
    for part in parts:
        if part == "self":
            out.append(prefix.rstrip(":"))
        elif part:
            out.extend(prefix + sub for sub in _expand_use(part))
    return out


def _rust_crate_src(rel: str, files: FileSet) -> str | None:
    """The folder of the crate root (lib.rs or main.rs) above `rel`."""
    directory = _dir(rel)
    while True:
        if files.first([join_rel(directory, "lib.rs"), join_rel(directory, "main.rs")]):
            return directory
        if not directory:
            return None
        directory = _dir(directory)


def _rust_module_dir(rel: str) -> str:
    """Where the children of the module in `rel` live (`mod x;` in a.rs -> a/x.rs)."""
    name = posixpath.basename(rel)
    if name in {"lib.rs", "main.rs", "mod.rs"}:
        return _dir(rel)
    return rel[: -len(".rs")]


def _rust_module_file(directory: str, segments: list[str], files: FileSet) -> str | None:
    """The longest prefix of `segments` that is a module file under `directory`."""
    for n in range(len(segments), 0, -1):
        stem = join_rel(directory, *segments[:n])
        hit = files.first([f"{stem}.rs", f"{stem}/mod.rs"])
        if hit:
            return hit
    return None


def _rust(rel: str, spec: ImportSpec, files: FileSet) -> list[str]:
    if spec.kind == "module":
        hit = _rust_module_file(_rust_module_dir(rel), [spec.source], files)
        return [hit] if hit else []
    found: list[str] = []
    for path in _expand_use(spec.source):
        segments = [s for s in path.split("::") if s]
        if not segments:
            continue
        head = segments[0]
        if head == "crate":
            crate = _rust_crate_src(rel, files)
            if crate is None:
                continue
            base, rest = crate, segments[1:]
        elif head in {"self", "super"}:
            # Each `super` climbs from this module's children folder to its parent's.
            base, rest = _rust_module_dir(rel), segments
            while rest and rest[0] in {"self", "super"}:
                if rest[0] == "super":
                    base = _dir(base)
                rest = rest[1:]
        elif head in files.rust_crates:  # another crate of the Cargo workspace
            root = files.rust_crates[head]
            # A name its root file defines or re-exports (`pub use`) is found there.
            hit = _rust_module_file(_dir(root), segments[1:], files) or files.first([root])
            if hit and hit not in found:
                found.append(hit)
            continue
        else:
            continue  # an external crate
        hit = _rust_module_file(base, rest, files) if rest else None
        if hit and hit not in found:
            found.append(hit)
    return found


def _java(rel: str, spec: ImportSpec, files: FileSet) -> list[str]:
    parts = spec.source.split(".")
    if spec.kind == "wildcard":
        suffix = "/".join(parts)
        return sorted(
            p
            for d, paths in files.by_dir.items()
            if d == suffix or d.endswith("/" + suffix)
            for p in paths
            if p.endswith(".java")
        )
    # import a.b.C or import static a.b.C.member: try the longest class path first.
    for n in range(len(parts), 0, -1):
        hits = files.with_suffix("/".join(parts[:n]) + ".java")
        if hits:
            return hits[:1]
    return []


def csharp_namespaces(symbols: Iterable[Symbol]) -> tuple[str, ...]:
    """The namespaces a C# file declares, qualified (`namespace A { namespace B {} }` declares
    A and A.B), sorted; () when its types live in the global namespace."""
    blocks = sorted(
        (s for s in symbols if s.kind == "namespace"), key=lambda s: (s.start_line, -s.end_line)
    )
    full: list[tuple[Symbol, str]] = []
    for sym in blocks:
        name = "".join(sym.name.split())
        outer = [
            q for o, q in full if o.start_line <= sym.start_line and sym.end_line <= o.end_line
        ]
        full.append((sym, f"{outer[-1]}.{name}" if outer else name))
    return tuple(sorted({q for _, q in full}))


def csharp_global_usings(imports: Iterable[ImportSpec]) -> tuple[ImportSpec, ...]:
    """A C# file's `global using` directives, which hold in every file of its project (the
    workspace stands for the project)."""
    return tuple(spec for spec in imports if spec.kind == "global")


def _csharp(rel: str, spec: ImportSpec, files: FileSet) -> list[str]:
    # `using A.B;` names a namespace: every file that declares it (a namespace spans files and
    # folders, so the path says nothing). `using static A.B.T;` and `using X = A.B.T;` name a
    # type, whose file is named after it by convention (partial classes: T.cs, T.Part.cs).
    # Inside a namespace, a using's name may also be relative to it or to those enclosing it.
    source = "".join(spec.source.split()).removeprefix("global::")
    own = files.namespaces.get(rel, ())
    for name in [source, *(f"{n}.{source}" for o in own for n in _enclosing(o) if n)]:
        hits = files.by_namespace.get(name)
        if hits:
            return list(hits)
        namespace, _, type_name = name.rpartition(".")
        hits = [
            p
            for p in (files.by_namespace.get(namespace, ()) if namespace else ())
            if p.rpartition("/")[2].split(".")[0] == type_name
        ]
        if hits:
            return hits
    return []


def _c_include(rel: str, spec: ImportSpec, files: FileSet) -> list[str]:
    source = spec.source
    hit = files.first([join_rel(_dir(rel), source), source, join_rel("include", source)])
    if hit:
        return [hit]
    hits = files.with_suffix(posixpath.normpath(source))
    return hits[:1]


def _php(rel: str, spec: ImportSpec, files: FileSet) -> list[str]:
    source = spec.source
    if source.endswith((".php", ".phtml", ".inc")):
        hit = files.first([join_rel(_dir(rel), source.lstrip("/")), source.lstrip("/")])
        return [hit] if hit else []
    # PSR-4: App\Models\User lives in .../Models/User.php; vendors map the first segment(s)
    # to a folder, so drop leading segments until a file matches.
    found: list[str] = []
    targets = [f"{source}\\{name}" for name in spec.names] if spec.names else [source]
    for target in targets:
        parts = [p for p in target.split("\\") if p]
        for n in range(len(parts)):
            hits = files.with_suffix("/".join(parts[n:]) + ".php")
            if hits:
                found.append(hits[0])
                break
    return found


def _bash(rel: str, spec: ImportSpec, files: FileSet) -> list[str]:
    source = spec.source.strip("\"'")
    source = re.sub(r"^\$\{?(DIR|SCRIPT_DIR|BASEDIR|HERE)\}?/", "", source)
    if "$" in source:
        return []
    hit = files.first([join_rel(_dir(rel), source), source])
    return [hit] if hit else []


_RESOLVERS: dict[str, Callable[[str, ImportSpec, FileSet], list[str]]] = {
    "python": _python,
    "javascript": _js,
    "typescript": _js,
    "typescriptreact": _js,
    "go": _go,
    "rust": _rust,
    "java": _java,
    "c": _c_include,
    "cpp": _c_include,
    "php": _php,
    "shellscript": _bash,
    "csharp": _csharp,
}


# Languages where the files of one directory are one package, whose names every file of it sees
# without an import, and the suffix of those files.
_PACKAGE_DIRECTORY_SUFFIX = {"go": ".go", "java": ".java"}


def _enclosing(namespace: str) -> list[str]:
    """The namespaces whose types a C# namespace sees, itself first: `A.B` -> A.B, A and ""
    (the global namespace)."""
    parts = namespace.split(".") if namespace else []
    return [".".join(parts[:n]) for n in range(len(parts), -1, -1)]


def package_siblings(rel: str, language: str | None, files: FileSet) -> list[str]:
    """The other files whose names `rel` sees without an import, sorted: those of its package
    where a package is a directory (Go, Java), and in C# those that declare its namespace or one
    enclosing it; [] elsewhere. Go's tests see their package, but the package does not see its
    tests."""
    if language == "csharp":
        visible = {n for own in files.namespaces.get(rel, ()) or ("",) for n in _enclosing(own)}
        return sorted({p for n in visible for p in files.by_namespace.get(n, ()) if p != rel})
    suffix = _PACKAGE_DIRECTORY_SUFFIX.get(language or "")
    if suffix is None:
        return []
    with_tests = rel.endswith("_test.go")
    return [
        p
        for p in files.by_dir.get(_dir(rel), ())
        if p != rel and p.endswith(suffix) and (with_tests or not p.endswith("_test.go"))
    ]


def resolve_imports(
    rel: str, language: str | None, specs: Iterable[ImportSpec], files: FileSet
) -> list[str]:
    """Workspace files that `rel` imports, in import order, each once, never `rel` itself."""
    resolver = _RESOLVERS.get(language or "")
    if resolver is None:
        return []
    if language == "csharp":
        specs = [*specs, *files.global_usings]
    out: list[str] = []
    for spec in specs:
        for hit in resolver(rel, spec, files):
            if hit != rel and hit not in out:
                out.append(hit)
    return out
