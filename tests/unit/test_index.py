"""WorkspaceIndex: walking, skipping, import resolution, persistence, buffers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infilld.index import WorkspaceIndex
from infilld.index.ignore import IgnoreRules
from infilld.index.store import cache_path


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def build(
    root: Path, tmp_path: Path, *, max_files: int = 20000, max_file_bytes: int = 1_000_000
) -> WorkspaceIndex:
    index = WorkspaceIndex(
        root, cache_dir=tmp_path / "cache", max_files=max_files, max_file_bytes=max_file_bytes
    )
    index.build()
    return index


def rels(index: WorkspaceIndex, paths: list[Path]) -> list[str]:
    return [p.relative_to(index.root).as_posix() for p in paths]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    return root


def test_symbols_and_definitions(repo: Path, tmp_path: Path) -> None:
    write(
        repo, {"pkg/__init__.py": "", "pkg/core.py": "def run(x):\n    return x\nclass Job: pass\n"}
    )
    index = build(repo, tmp_path)
    (run,) = index.definitions("run")
    assert (run.path, run.kind, run.start_line, run.end_line) == ("pkg/core.py", "function", 0, 1)
    assert run.body.startswith("def run")
    assert [s.name for s in index.file_symbols(repo / "pkg/core.py")] == ["run", "Job"]
    assert rels(index, index.files()) == ["pkg/__init__.py", "pkg/core.py"]


def test_python_imports(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            "src/app/__init__.py": "",
            "src/app/util.py": "def helper(): pass\n",
            "src/app/sub/__init__.py": "",
            "src/app/sub/deep.py": "from .. import util\nfrom ..util import helper\n",
            "src/app/main.py": "import app.util\nfrom app.sub import deep\nimport os\n",
        },
    )
    index = build(repo, tmp_path)
    assert rels(index, index.imports_of(repo / "src/app/main.py")) == [
        "src/app/util.py",
        "src/app/sub/deep.py",
        "src/app/sub/__init__.py",
    ]
    assert rels(index, index.imports_of(repo / "src/app/sub/deep.py")) == [
        "src/app/util.py",
        "src/app/__init__.py",
    ]


def test_js_ts_imports(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            "web/lib/index.ts": "export const a = 1;\n",
            "web/util.tsx": "export function U() {}\n",
            "web/esm.ts": "export const e = 1;\n",
            "web/main.ts": (
                "import { a } from './lib';\nimport { U } from './util';\n"
                "import { e } from './esm.js';\nimport React from 'react';\n"
            ),
            "web/old.js": "const m = require('./lib/index.ts');\n",
        },
    )
    index = build(repo, tmp_path)
    assert rels(index, index.imports_of(repo / "web/main.ts")) == [
        "web/lib/index.ts",
        "web/util.tsx",
        "web/esm.ts",
    ]
    assert rels(index, index.imports_of(repo / "web/old.js")) == ["web/lib/index.ts"]


def test_go_imports_via_go_mod(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            "go.mod": "module example.com/shop\n\ngo 1.22\n",
            "store/store.go": "package store\nfunc Get() {}\n",
            "store/store_test.go": "package store\n",
            "shop.go": "package shop\nfunc Open() {}\n",
            "cmd/main.go": 'package main\nimport (\n\t"fmt"\n\t"example.com/shop/store"\n)\n',
            "cmd/root.go": 'package main\nimport "example.com/shop"\n',
        },
    )
    index = build(repo, tmp_path)
    assert rels(index, index.imports_of(repo / "cmd/main.go")) == ["store/store.go"]
    # The module's own root package lives in the workspace root, beside go.mod.
    assert rels(index, index.imports_of(repo / "cmd/root.go")) == ["shop.go"]
    # A package's files see each other without imports; its tests see it, not the reverse.
    assert rels(index, index.package_files(repo / "cmd/main.go")) == ["cmd/root.go"]
    assert rels(index, index.package_files(repo / "store/store.go")) == []
    assert rels(index, index.package_files(repo / "store/store_test.go")) == ["store/store.go"]
    assert "go.mod" not in rels(index, index.files())


def test_rust_imports(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            "Cargo.toml": "[package]\nname='x'\n",
            "src/lib.rs": "mod net;\nmod util;\nuse crate::net::http::Client;\n",
            "src/net/mod.rs": "pub mod http;\nuse super::util::helper;\n",
            "src/net/http.rs": "pub struct Client;\n",
            "src/util.rs": "pub fn helper() {}\n",
        },
    )
    index = build(repo, tmp_path)
    assert rels(index, index.imports_of(repo / "src/lib.rs")) == [
        "src/net/mod.rs",
        "src/util.rs",
        "src/net/http.rs",
    ]
    assert rels(index, index.imports_of(repo / "src/net/mod.rs")) == [
        "src/net/http.rs",
        "src/util.rs",
    ]


def test_rust_crates_of_a_cargo_workspace_resolve_by_name(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
            "crates/regex-syntax/Cargo.toml": '[package]\nname = "regex-syntax"\n',
            "crates/regex-syntax/src/lib.rs": "pub mod ast;\npub use crate::ast::Ast;\n",
            "crates/regex-syntax/src/ast/mod.rs": "pub struct Ast;\n",
            "crates/engine/Cargo.toml": '[package]\nname = "engine"\n[lib]\npath = "lib/engine.rs"\n',
            "crates/engine/lib/engine.rs": "pub fn run() {}\n",
            "crates/broken/Cargo.toml": "[package\n",
            "crates/app/Cargo.toml": '[package]\nname = "app"\n',
            "crates/app/src/main.rs": (
                "use regex_syntax::ast::Ast;\nuse regex_syntax::Ast as Tree;\n"
                "use engine::run;\nuse serde::Serialize;\n"
            ),
        },
    )
    index = build(repo, tmp_path)
    assert rels(index, index.imports_of(repo / "crates/app/src/main.rs")) == [
        "crates/regex-syntax/src/ast/mod.rs",
        "crates/regex-syntax/src/lib.rs",  # a re-export: the crate's root file
        "crates/engine/lib/engine.rs",  # [lib] path
    ]


def test_java_and_c_imports(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            "src/main/java/com/acme/util/Strings.java": "package com.acme.util;\nclass Strings {}\n",
            "src/main/java/com/acme/util/Nums.java": "package com.acme.util;\nclass Nums {}\n",
            "src/main/java/com/acme/App.java": (
                "package com.acme;\nimport com.acme.util.Strings;\nimport java.util.List;\n"
            ),
            "src/main/java/com/acme/All.java": "package com.acme;\nimport com.acme.util.*;\n",
            "include/lib/api.h": "int api(void);\n",
            "src/local.h": "int local(void);\n",
            "src/main.c": '#include "local.h"\n#include <lib/api.h>\n#include <stdio.h>\n',
        },
    )
    index = build(repo, tmp_path)
    app = repo / "src/main/java/com/acme/App.java"
    assert rels(index, index.imports_of(app)) == ["src/main/java/com/acme/util/Strings.java"]
    assert rels(index, index.imports_of(repo / "src/main/java/com/acme/All.java")) == [
        "src/main/java/com/acme/util/Nums.java",
        "src/main/java/com/acme/util/Strings.java",
    ]
    assert rels(index, index.imports_of(repo / "src/main.c")) == [
        "src/local.h",
        "include/lib/api.h",
    ]


def test_tsconfig_path_aliases_resolve_into_the_workspace(repo: Path, tmp_path: Path) -> None:
    app = repo / "src/app/page.tsx"
    write(
        repo,
        {
            # JSON with comments and trailing commas, as tsconfig files are written
            "tsconfig.json": (
                '{\n  // aliases\n  "compilerOptions": {\n    "baseUrl": ".",\n'
                '    "paths": { "@/*": ["./src/*"], "#db": ["src/lib/db/index.ts"], },\n'
                '    /* "paths": {} */\n  },\n}\n'
            ),
            "src/ui/button.tsx": "export function Button() {}\n",
            "src/lib/db/index.ts": "export const db = 1;\n",
            "src/lib/format.ts": "export function format() {}\n",
            "src/app/page.tsx": (
                'import { Button } from "@/ui/button";\nimport { db } from "#db";\n'
                'import { format } from "src/lib/format";\nimport React from "react";\n'
            ),
            # a monorepo package whose config extends the shared base one
            "tsconfig.base.json": '{"compilerOptions": {"paths": {"@shop/*": ["libs/*/src"]}}}',
            "packages/web/tsconfig.json": '{"extends": "../../tsconfig.base.json"}\n',
            "packages/web/main.ts": 'import { cart } from "@shop/cart";\nimport "@/ui/button";\n',
            "libs/cart/src/index.ts": "export const cart = [];\n",
            # a config that does not parse: ignored, the one above it holds
            "broken/tsconfig.json": '{ "compilerOptions": ',
            "broken/a.ts": 'import { Button } from "@/ui/button";\n',
        },
    )
    index = build(repo, tmp_path)
    assert rels(index, index.imports_of(app)) == [
        "src/ui/button.tsx",
        "src/lib/db/index.ts",
        "src/lib/format.ts",  # baseUrl: a bare path from the root
    ]
    # The nearest config applies: the package's, through `extends`, not the root's `@/*`.
    assert rels(index, index.imports_of(repo / "packages/web/main.ts")) == [
        "libs/cart/src/index.ts"
    ]
    assert rels(index, index.imports_of(repo / "broken/a.ts")) == ["src/ui/button.tsx"]
    assert "tsconfig.json" not in rels(index, index.files())  # configs are not source files
    # A changed config changes every resolution.
    (repo / "tsconfig.json").write_text('{"compilerOptions": {"paths": {"~/*": ["src/*"]}}}')
    index.refresh_paths([repo / "tsconfig.json"])
    assert rels(index, index.imports_of(app)) == []


def test_a_cpp_header_named_dot_h_is_indexed_as_cpp(repo: Path, tmp_path: Path) -> None:
    # Parsed as C, re2.h's class RE2 and its methods were not indexed at all.
    header = (
        "#pragma once\n#include <string>\nnamespace re2 {\nclass RE2 {\n public:\n"
        "  explicit RE2(const char* pattern);\n  bool ok() const;\n  int NumberOfCapturingGroups()"
        " const;\n};\n}  // namespace re2\n"
    )
    write(
        repo,
        {
            "re2/re2.h": header,
            "re2/re2.cc": '#include "re2/re2.h"\nnamespace re2 {\nbool RE2::ok() const { return true; }\n}\n',
            "util/c_api.h": "int c_api(void);\n",
        },
    )
    index = build(repo, tmp_path)
    (cls,) = index.definitions("RE2")[:1]
    assert (cls.path, cls.kind) == ("re2/re2.h", "class")
    groups = index.definitions("NumberOfCapturingGroups")
    assert [(d.path, d.container) for d in groups] == [("re2/re2.h", "RE2")]
    assert index.file_language(repo / "re2/re2.h") == "cpp"
    assert index.file_language(repo / "util/c_api.h") == "c"
    assert rels(index, index.imports_of(repo / "re2/re2.cc")) == ["re2/re2.h"]


def test_csharp_usings_resolve_to_the_files_declaring_the_namespace(
    repo: Path, tmp_path: Path
) -> None:
    write(
        repo,
        {
            # A namespace spans folders; the folder names say nothing.
            "src/Models/Order.cs": "namespace Shop.Models;\npublic class Order {}\n",
            "src/Misc/Line.cs": "namespace Shop.Models\n{\n    public class Line {}\n}\n",
            "src/Text/Format.cs": "namespace Shop.Text { public static class Format {} }\n",
            "src/Text/Format.Money.cs": "namespace Shop.Text { static partial class Format {} }\n",
            "src/Text/Slug.cs": "namespace Shop.Text { public static class Slug {} }\n",
            "src/Shop.cs": "namespace Shop { public class Store {} }\n",
            "src/Api/Orders.cs": (
                "using System;\nusing Shop.Models;\nusing static Shop.Text.Format;\n"
                "namespace Shop.Api { class Orders {} }\n"
            ),
            "src/Api/Nested.cs": (
                "namespace Shop\n{\n    namespace Api\n    {\n        using static Text.Slug;\n"
                "        class Nested {}\n    }\n}\n"
            ),
            "Program.cs": "using Shop.Models;\nvar order = new Order();\n",
        },
    )
    index = build(repo, tmp_path)
    orders = repo / "src/Api/Orders.cs"
    # `using static` names a type: its files (partial classes too), not its whole namespace.
    assert rels(index, index.imports_of(orders)) == [
        "src/Misc/Line.cs",
        "src/Models/Order.cs",
        "src/Text/Format.Money.cs",
        "src/Text/Format.cs",
    ]
    # A using inside namespace Shop.Api may name Text for Shop.Text.
    assert rels(index, index.imports_of(repo / "src/Api/Nested.cs")) == ["src/Text/Slug.cs"]
    # Without a using, a file sees its own namespace, those enclosing it and the global one.
    assert rels(index, index.package_files(orders)) == [
        "Program.cs",
        "src/Api/Nested.cs",
        "src/Shop.cs",
    ]
    # Nested.cs declares Shop around Shop.Api, and Shop's files see Shop's; Shop.Api's they don't.
    assert rels(index, index.package_files(repo / "src/Shop.cs")) == [
        "Program.cs",
        "src/Api/Nested.cs",
    ]
    # A `global using` in any file holds in every C# file, until an edit takes it out.
    write(repo, {"src/GlobalUsings.cs": "global using Shop.Text;\n"})
    index.refresh_paths([repo / "src/GlobalUsings.cs"])
    program = repo / "Program.cs"
    assert rels(index, index.imports_of(program)) == [
        "src/Misc/Line.cs",
        "src/Models/Order.cs",
        "src/Text/Format.Money.cs",
        "src/Text/Format.cs",
        "src/Text/Slug.cs",
    ]
    index.update_buffer(repo / "src/GlobalUsings.cs", "// moved to the project file\n")
    assert rels(index, index.imports_of(program)) == ["src/Misc/Line.cs", "src/Models/Order.cs"]
    index.close_buffer(repo / "src/GlobalUsings.cs")
    (repo / "src/GlobalUsings.cs").unlink()
    index.refresh_paths([repo / "src/GlobalUsings.cs"])
    # An unsaved edit that moves a file to another namespace moves it in every resolution.
    index.update_buffer(repo / "src/Text/Slug.cs", "namespace Shop.Models { class Slug {} }\n")
    assert "src/Text/Slug.cs" in rels(index, index.imports_of(orders))
    assert rels(index, index.imports_of(repo / "src/Api/Nested.cs")) == []


def test_gitignore_and_vendored_dirs(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            ".gitignore": "*.gen.py\n/generated/\nlogs/\n!keep.gen.py\n",
            "a.py": "",
            "x.gen.py": "",
            "keep.gen.py": "",
            "generated/g.py": "",
            "sub/.gitignore": "local_only.py\n",
            "sub/local_only.py": "",
            "sub/generated/ok.py": "",  # /generated/ is anchored at the root
            "node_modules/lib/index.js": "",
            ".venv/lib/site.py": "",
            "build/out.py": "",
        },
    )
    index = build(repo, tmp_path)
    assert rels(index, index.files()) == ["a.py", "keep.gen.py", "sub/generated/ok.py"]


def test_ignore_rules_double_star(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("docs/**/*.md\n**/tmp\nsrc/*.log\n")
    rules = IgnoreRules(tmp_path)
    assert rules.is_ignored("docs/a/b/x.md")
    assert rules.is_ignored("a/b/tmp/file.py")
    assert rules.is_ignored("src/x.log")
    assert not rules.is_ignored("src/deep/x.log")
    assert not rules.is_ignored("x.md")


def test_skips_binary_huge_minified(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            "ok.js": "function ok() {}\n",
            "bin.js": b"\x00\x01\x02function nope() {}",
            "huge.py": "x = 1\n" * 400,
            "bundle.min.js": "var a=1;" * 500 + "\n",
        },
    )
    index = build(repo, tmp_path, max_file_bytes=2000)
    assert rels(index, index.files()) == ["ok.js"]
    assert index.definitions("nope") == []


def test_non_utf8_and_syntax_errors(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            "latin.py": b"# caf\xe9\ndef still_here():\n    return '\xff'\n",
            "broken.py": "def good():\n    pass\n\ndef bad(:\n    ))\n",
        },
    )
    index = build(repo, tmp_path)
    assert [s.name for s in index.definitions("still_here")] == ["still_here"]
    assert [s.path for s in index.definitions("good")] == ["broken.py"]


def test_symlink_loop_and_escape(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, {"secret.py": "def secret(): pass\n"})
    write(repo, {"pkg/mod.py": "def inner(): pass\n"})
    os.symlink(repo / "pkg", repo / "pkg" / "loop")  # a directory that contains itself
    os.symlink(outside, repo / "escape")
    os.symlink(outside / "secret.py", repo / "secret_link.py")
    os.symlink(repo / "missing.py", repo / "dangling.py")  # target vanished
    index = build(repo, tmp_path)
    assert index.definitions("secret") == []
    assert [s.path for s in index.definitions("inner")] == ["pkg/mod.py"]


def test_vanished_and_refreshed_files(repo: Path, tmp_path: Path) -> None:
    write(repo, {"a.py": "def a(): pass\n", "b.py": "def b(): pass\n"})
    index = build(repo, tmp_path)
    gen = index.generation
    (repo / "a.py").unlink()
    write(repo, {"c.py": "def c(): pass\n"})
    index.refresh_paths([repo / "a.py", repo / "c.py", repo / "never_existed.py"])
    assert index.definitions("a") == []
    assert [s.path for s in index.definitions("c")] == ["c.py"]
    assert index.generation > gen
    # A directory that vanished takes its files with it.
    write(repo, {"d/x.py": "def x(): pass\n"})
    index.refresh_paths([repo / "d"])
    assert index.definitions("x")
    (repo / "d" / "x.py").unlink()
    (repo / "d").rmdir()
    index.refresh_paths([repo / "d"])
    assert index.definitions("x") == []


def test_warm_restart_uses_cache(repo: Path, tmp_path: Path) -> None:
    write(repo, {f"m{i}.py": f"def f{i}(): pass\n" for i in range(5)})
    first = build(repo, tmp_path)
    assert first.stats.parsed == 5
    assert cache_path(tmp_path / "cache", first.root).is_file()
    warm = build(repo, tmp_path)
    assert warm.stats.parsed == 0 and warm.stats.reused == 5
    assert [s.name for s in warm.definitions("f3")] == ["f3"]
    # One edit costs one parse; a touch without an edit costs none.
    (repo / "m1.py").write_text("def g1(): pass\n")
    os.utime(repo / "m2.py", ns=(1, 1))
    again = build(repo, tmp_path)
    assert again.stats.parsed == 1
    assert again.definitions("f1") == [] and again.definitions("g1")


@pytest.mark.parametrize("garbage", [b"", b"\x93not msgpack", b"\x81\xa7version\x63"])
def test_corrupt_cache_is_rebuilt(repo: Path, tmp_path: Path, garbage: bytes) -> None:
    write(repo, {"a.py": "def a(): pass\n"})
    path = cache_path(tmp_path / "cache", WorkspaceIndex(repo).root)
    path.parent.mkdir(parents=True)
    path.write_bytes(garbage)
    index = build(repo, tmp_path)
    assert index.stats.parsed == 1
    assert index.definitions("a")
    assert build(repo, tmp_path).stats.parsed == 0  # the rebuilt cache is good again


def test_cache_for_other_grammars_is_ignored(repo: Path, tmp_path: Path) -> None:
    write(repo, {"a.py": "def a(): pass\n"})
    first = build(repo, tmp_path)
    assert first.stats.parsed == 1
    second = WorkspaceIndex(repo, cache_dir=tmp_path / "cache")
    second.languages.__dict__["fingerprint"] = "different"  # as if the queries were edited
    try:
        second.build()
        assert second.stats.parsed == 1
    finally:
        second.languages.__dict__.pop("fingerprint")


def test_buffer_overlay_wins(repo: Path, tmp_path: Path) -> None:
    write(repo, {"a.py": "def on_disk(): pass\n"})
    index = build(repo, tmp_path)
    gen = index.generation
    index.update_buffer(repo / "a.py", "def in_editor(): pass\n")
    assert index.generation > gen
    assert index.definitions("on_disk") == []
    assert [s.name for s in index.file_symbols(repo / "a.py")] == ["in_editor"]
    assert index.read_text(repo / "a.py") == "def in_editor(): pass\n"
    gen = index.generation
    index.update_buffer(repo / "a.py", "def in_editor(): pass\n")  # same text: no change
    assert index.generation == gen
    index.refresh_paths([repo / "a.py"])  # the disk does not override an open buffer
    assert index.definitions("on_disk") == []
    index.close_buffer(repo / "a.py")
    assert [s.name for s in index.file_symbols(repo / "a.py")] == ["on_disk"]
    # A buffer for a file not yet on disk is indexed too; one outside the root is ignored.
    index.update_buffer(repo / "new.py", "def fresh(): pass\n")
    assert index.definitions("fresh")
    index.update_buffer(tmp_path / "elsewhere.py", "def stray(): pass\n")
    assert index.definitions("stray") == []


def test_max_files_bound(repo: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(repo, {f"m{i}.py": "" for i in range(10)})
    index = build(repo, tmp_path, max_files=4)
    assert len(index.files()) == 4
    assert "more than 4 source files" in caplog.text


def test_watching_starts_and_stops(repo: Path, tmp_path: Path) -> None:
    write(repo, {"a.py": "def a(): pass\n"})
    index = build(repo, tmp_path)
    index.start_watching()
    index.close()
    index.close()  # idempotent
    assert index.definitions("a")


def test_disk_changed_since_tells_which_files_changed(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infilld.index import workspace

    monkeypatch.setattr(workspace, "DISK_LOG", 2)
    write(repo, {"a.py": "A = 1\n", "b.py": "B = 1\n", "c.py": "C = 1\n"})
    index = build(repo, tmp_path)
    seen = index.disk_generation
    assert not index.disk_changed_since(seen)
    write(repo, {"a.py": "A = 2\n"})
    index.refresh_paths([repo / "a.py"])
    assert index.disk_changed_since(seen)
    assert not index.disk_changed_since(seen, besides=repo / "a.py")
    index.refresh_paths([repo / "b.py"])  # same content: no change
    assert not index.disk_changed_since(seen, besides=repo / "a.py")
    write(repo, {"b.py": "B = 2\n"})
    index.refresh_paths([repo / "b.py"])
    assert index.disk_changed_since(seen, besides=repo / "a.py")
    # More changes than the log remembers count as changed, whichever file they were.
    for n in (3, 4):
        write(repo, {"a.py": f"A = {n}\n"})
        index.refresh_paths([repo / "a.py"])
    assert not index.disk_changed_since(index.disk_generation - 2, besides=repo / "a.py")
    assert index.disk_changed_since(index.disk_generation - 3, besides=repo / "a.py")


def test_a_monorepos_packages_resolve_by_name_to_their_sources(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            "package.json": '{"name": "shop-monorepo", "private": true}',
            # entry fields point at build output; the sources are what the index holds
            "packages/db/package.json": (
                '{"name": "@shop/db", "main": "./dist/index.cjs", "types": "dist/index.d.ts",'
                ' "exports": {".": {"import": "./dist/index.js"}}}'
            ),
            "packages/db/src/index.ts": 'export * from "./schema";\n',
            "packages/db/src/schema.ts": "export const tables = [];\n",
            "packages/ui/package.json": '{"name": "ui-kit", "main": "button.js"}',
            "packages/api/package.json": (
                '{"name": "@shop/api", "exports": {".": {"import": {"types": "./out/api.d.ts",'
                ' "default": "./out/api.js"}}}}'
            ),
            "packages/api/src/api.ts": "export const api = 1;\n",
            "packages/ui/button.js": "export function Button() {}\n",
            "packages/ui/icons/star.js": "export const star = 1;\n",
            "packages/broken/package.json": "{ not json",
            "apps/web/main.ts": (
                'import { tables } from "@shop/db";\nimport { tables as t } from "@shop/db/schema";\n'
                'import { Button } from "ui-kit";\nimport { star } from "ui-kit/icons/star";\n'
                'import React from "react";\nimport { api } from "@shop/api";\n'
            ),
        },
    )
    index = build(repo, tmp_path)
    assert rels(index, index.imports_of(repo / "apps/web/main.ts")) == [
        "packages/db/src/index.ts",
        "packages/db/src/schema.ts",
        "packages/ui/button.js",
        "packages/ui/icons/star.js",
        "packages/api/src/api.ts",  # nested export conditions, out/ is build output
    ]
    assert "packages/db/package.json" not in rels(index, index.files())


def test_alias_patterns_choose_the_longest_prefix_and_extends_cycles_end() -> None:
    from infilld.index.manifests import effective_aliases, parse_config
    from infilld.index.resolve import alias_targets

    aliases = (("@/*", ("src/*",)), ("@/ui/*", ("design/*",)), ("@app", ("src/main",)))
    assert alias_targets(aliases, "@/ui/button") == ["design/button", "src/ui/button"]
    assert alias_targets(aliases, "@app") == ["src/main"]
    assert alias_targets(aliases, "lodash") == []
    # Configs that extend each other in a cycle, neither saying paths: no aliases, no hang.
    a = parse_config("a/tsconfig.json", '{"extends": "../b/tsconfig.json"}')
    b = parse_config("b/tsconfig.json", '{"extends": "../a/tsconfig"}')
    assert b.extends == "a/tsconfig.json"
    listed = parse_config("c/tsconfig.json", '{"extends": ["@tsconfig/node20", "../a/tsconfig"]}')
    assert listed.extends == "a/tsconfig.json"  # TypeScript 5: a list, packages skipped
    assert effective_aliases({"a/tsconfig.json": a, "b/tsconfig.json": b}) == {}
    # A string that looks like a comment is kept.
    url = parse_config("tsconfig.json", '{"compilerOptions": {"paths": {"//x/*": ["y/*",]}}}')
    assert url.aliases == (("//x/*", ("y/*",)),)
