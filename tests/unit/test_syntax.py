"""Language table, query compilation, extraction and cursor helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from infilld.resources import data_path
from infilld.syntax import (
    TreeCache,
    char_to_byte,
    default_table,
    definitions,
    enclosing_scopes,
    identifiers_near,
    imports,
    is_inside_string_or_comment,
    language_for_id,
    language_for_path,
    language_for_source,
    parse,
    references,
)
from infilld.syntax.languages import LanguageTable

LANGUAGES = [spec.id for spec in default_table().specs]


def test_table_covers_required_languages() -> None:
    required = {
        "python",
        "javascript",
        "typescript",
        "typescriptreact",
        "java",
        "go",
        "rust",
        "c",
        "cpp",
        "csharp",
        "php",
        "shellscript",
    }
    assert required <= set(LANGUAGES)


@pytest.mark.parametrize("language_id", LANGUAGES)
def test_every_query_compiles(language_id: str) -> None:
    loaded = default_table().load(language_id)
    assert loaded is not None, f"grammar for {language_id} did not load"
    assert set(loaded.queries) == {"definitions", "imports", "references"}


def test_language_lookup() -> None:
    tsx = language_for_path("src/App.tsx")
    assert tsx is not None and tsx.id == "typescriptreact"
    header = language_for_path(Path("inc/x.HPP"))
    assert header is not None and header.id == "cpp"
    shell = language_for_id("shellscript")
    assert shell is not None and shell.line_comment == "#"
    assert language_for_id("bash") is not None  # alias
    assert language_for_path("README.md") is None
    assert language_for_id("cobol") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#ifndef A_H\n#define A_H\nint api(void);\nstruct point { int x; };\n#endif\n", "c"),
        # C headers serve C++ callers without being C++; `class` in a comment is prose
        ('#ifdef __cplusplus\nextern "C" {\n#endif\nint api(void);\n', "c"),
        ("/* a storage\n   class that is static */\nstatic int n;\n", "c"),
        ("#pragma once\nnamespace re2 {\nint api();\n}\n", "cpp"),
        ("#include <string>\nint api(const char* s);\n", "cpp"),
        ("class ABSL_EXPORT Regexp {\n public:\n  int n;\n};\n", "cpp"),
        ("class Prog;\nvoid run(Prog* p);\n", "cpp"),
        ("template <typename T>\nT max_of(T a, T b);\n", "cpp"),
        ("int f(std::string s);\n", "cpp"),
    ],
)
def test_a_dot_h_header_is_cpp_when_its_text_is(text: str, expected: str) -> None:
    # Most C++ headers are named .h; parsed as C their classes and methods are lost.
    found = language_for_source("re2/re2.h", text)
    assert found is not None and found.id == expected
    by_name = language_for_path("re2/re2.h")
    assert by_name is not None and by_name.id == "c"  # without the text, the suffix decides
    lib = language_for_source("lib/x.c", "namespace a {}\n")
    assert lib is not None and lib.id == "c"  # only the suffixes the table names go by text


def test_data_path_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert (data_path("grammars") / "languages.toml").is_file()
    monkeypatch.setenv("INFILLD_DATA_DIR", str(tmp_path))
    assert data_path("grammars", "x") == tmp_path / "grammars" / "x"


def test_cpp_queries_inherit_cs() -> None:
    # C's pointer typedef pattern lives only in c/definitions.scm; C++ gets it by `; inherits: c`,
    # and keeps its own patterns (classes, methods).
    code = "typedef struct Node *NodeRef;\nclass K { void m(); };\n"
    assert {"NodeRef", "K", "m"} <= _defined_names("a.hpp", code, "cpp")


def test_an_inheritance_cycle_is_reported_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    grammars = tmp_path / "grammars"
    for folder, parent in (("c", "cpp"), ("cpp", "c")):
        (grammars / "queries" / folder).mkdir(parents=True)
        (grammars / "queries" / folder / "definitions.scm").write_text(
            f"; inherits: {parent}\n(identifier) @name\n"
        )
    (grammars / "languages.toml").write_text(
        (data_path("grammars") / "languages.toml").read_text(encoding="utf-8")
    )
    loaded = LanguageTable(grammars).load("c")
    assert loaded is not None and "definitions" not in loaded.queries
    assert "queries inherit in a cycle: c -> cpp -> c" in caplog.text


SAMPLES: dict[str, tuple[str, str, set[str]]] = {
    "python": (
        "a.py",
        "MAX = 1\nclass C:\n    def m(self): pass\ndef f(): pass\n",
        {"MAX", "C", "m", "f"},
    ),
    "javascript": (
        "a.js",
        "const K = 1;\nfunction f() {}\nclass C { m() {} }\nconst g = () => 1;\n"
        # CommonJS exports
        "exports.h = function () {};\nmodule.exports.i = (x) => x;\nother.j = () => 1;\n"
        # pre-class JavaScript at the top level (not a handler assigned inside a function)
        "C.prototype.p = function () {};\nfunction w() { el.onclick = function () {}; }\n",
        {"K", "f", "C", "m", "g", "h", "i", "j", "p", "w"},
    ),
    "typescript": (
        "a.ts",
        "interface I { x: number }\ntype T = string;\nenum E { A }\nexport function f(): void {}\n",
        {"I", "T", "E", "f"},
    ),
    "typescriptreact": (
        "a.tsx",
        "export const App = () => <div/>;\nclass C {}\n",
        {"App", "C"},
    ),
    "java": (
        "A.java",
        "class A { static final int X = 1; void run() {} }\ninterface I {}\n",
        {"A", "X", "run", "I"},
    ),
    "go": (
        "a.go",
        "package a\ntype S struct{}\nfunc (s *S) M() {}\nfunc F() {}\nconst C = 1\n",
        {"S", "M", "F", "C"},
    ),
    "rust": (
        "a.rs",
        "struct S;\nimpl S { fn m(&self) {} }\nfn f() {}\ntrait T {}\nconst C: u8 = 1;\n",
        {"S", "m", "f", "T", "C"},
    ),
    "c": (
        "a.c",
        "#define N 3\nstruct s { int x; };\nint f(int a) { return a; }\n",
        {"N", "s", "f"},
    ),
    "cpp": (
        "a.cpp",
        "namespace n { class K { public: void m(); }; }\nvoid n::K::m() {}\nint f() { return 0; }\n",
        {"n", "K", "m", "f"},
    ),
    "csharp": (
        "a.cs",
        "namespace N { class C { public const int X = 1; void M() {} } interface I {} }\n",
        {"N", "C", "X", "M", "I"},
    ),
    "php": (
        "a.php",
        "<?php\nfunction f() {}\nclass C { public function m() {} }\nconst K = 1;\n",
        {"f", "C", "m", "K"},
    ),
    "shellscript": ("a.sh", "X=1\nf() { echo; }\nfunction g { :; }\n", {"X", "f", "g"}),
}


# Prototypes are found where headers keep them: behind an include guard, in extern "C" { }.
HEADERS = {
    "c": (
        "a.h",
        "#ifndef A_H\n#define A_H\nint f(int a);\nchar *g(void);\n#endif\n",
        {"f", "g"},
    ),
    "cpp": (
        "a.hpp",
        '#pragma once\n#ifdef __cplusplus\nextern "C" {\n#endif\nint f(int a);\n'
        "#ifdef __cplusplus\n}\n#endif\nint *g();\n",
        {"f", "g"},
    ),
}


def _defined_names(file_name: str, code: str, language_id: str) -> set[str]:
    loaded = language_for_path(file_name)
    assert loaded is not None and loaded.id == language_id
    source = code.encode()
    return {d.name for d in definitions(parse(source, loaded), loaded, source)}


@pytest.mark.parametrize("language_id", sorted(HEADERS))
def test_header_prototypes_behind_guards(language_id: str) -> None:
    name, code, expected = HEADERS[language_id]
    assert expected <= _defined_names(name, code, language_id)
    # A declaration inside a function body is not a definition of the file.
    body = "int main(void) { int h(int); return h(1); }\n"
    assert "h" not in _defined_names(name, body, language_id)


@pytest.mark.parametrize("language_id", sorted(SAMPLES))
def test_definitions_per_language(language_id: str) -> None:
    name, code, expected = SAMPLES[language_id]
    assert expected <= _defined_names(name, code, language_id)


@pytest.mark.parametrize(
    ("file_name", "code"),
    [
        ("a.cs", "namespace N { class C { void M() {} } }\n"),
        ("a.php", "<?php\nnamespace N {\n class C { public function M() {} }\n}\n"),
        ("a.cpp", "namespace N { class C { void M() {} }; }\n"),
        ("b.cs", "namespace N;\nclass C { void M() {} }\n"),
    ],
)
def test_a_namespace_names_a_scope_but_contains_nothing(file_name: str, code: str) -> None:
    # A type in a namespace is reached through a using, not through the namespace as an object:
    # it is top level, as in a file; its members are still the type's.
    loaded = language_for_path(file_name)
    assert loaded is not None
    source = code.encode()
    found = {d.name: d for d in definitions(parse(source, loaded), loaded, source)}
    assert found["N"].kind == "namespace"
    assert found["C"].container == ""
    assert found["M"].container == "C"


def test_a_prototype_method_belongs_to_its_constructor() -> None:
    js = language_for_path("a.js")
    assert js is not None
    src = b"function Runner() {}\nRunner.prototype.run = function (fn) {\n  return fn;\n};\n"
    found = [(d.name, d.kind, d.container) for d in definitions(parse(src, js), js, src)]
    assert found == [("Runner", "function", ""), ("run", "method", "Runner")]


def test_python_definition_details() -> None:
    loaded = language_for_path("m.py")
    assert loaded is not None
    code = (
        "# helper\n"
        "@deco\n"
        "def top(a: int) -> int:\n"
        '    """Add one."""\n'
        "    return a + 1\n"
        "class K:\n"
        "    def meth(self):\n"
        "        pass\n"
    )
    source = code.encode()
    defs = {d.name: d for d in definitions(parse(source, loaded), loaded, source)}
    top = defs["top"]
    assert top.kind == "function"
    assert top.signature == "@deco\ndef top(a: int) -> int:"
    assert top.doc == '    """Add one."""' and top.doc_after
    assert (top.start_line, top.end_line) == (1, 4)
    assert defs["meth"].kind == "method" and defs["meth"].container == "K"
    assert defs["K"].kind == "class" and defs["K"].container == ""


def test_leading_comment_is_doc_for_c_like() -> None:
    loaded = language_for_path("a.go")
    assert loaded is not None
    source = b"package a\n\n// Add adds.\n// Really.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
    (add,) = [d for d in definitions(parse(source, loaded), loaded, source) if d.name == "Add"]
    assert add.doc == "// Add adds.\n// Really."
    assert not add.doc_after
    assert add.signature == "func Add(a, b int) int"


def test_imports_extraction() -> None:
    py = language_for_path("a.py")
    assert py is not None
    src = b"import os.path\nfrom ..pkg import a, b as c\nfrom m import *\n"
    refs = imports(parse(src, py), py)
    assert [(r.source, r.names, r.kind) for r in refs] == [
        ("os.path", (), "import"),
        ("..pkg", ("a", "b"), "import"),
        ("m", (), "wildcard"),
    ]
    rs = language_for_path("a.rs")
    assert rs is not None
    src = b"mod net;\nmod inline { }\nuse crate::a::{b, c};\n"
    refs = imports(parse(src, rs), rs)
    assert [(r.source, r.kind) for r in refs] == [("net", "module"), ("crate::a::{b, c}", "import")]
    js = language_for_path("a.js")
    assert js is not None
    src = b"import x from './x';\nconst y = require(\"../y\");\n"
    assert [r.source for r in imports(parse(src, js), js)] == ["./x", "../y"]
    # CommonJS: the bindings of a require are its names, one ref per require however many
    # patterns see it; a bare require (for its side effects) names nothing.
    src = (
        b"const { total, round: r } = require('./money');\nconst util = require('./util');\n"
        b"const {\n  a,\n} = require('./multi');\nrequire('./setup');\n"
    )
    for lang in (js, language_for_path("a.ts")):
        assert lang is not None
        refs = imports(parse(src, lang), lang)
        assert [(r.source, r.names, r.line) for r in refs] == [
            ("./money", ("total", "round"), 0),
            ("./util", ("util",), 1),
            ("./multi", ("a",), 2),
            ("./setup", (), 5),
        ]


def test_references_skip_strings_and_comments() -> None:
    py = language_for_path("a.py")
    assert py is not None
    src = b"# hidden_in_comment\nvalue = compute('hidden_in_string')\n"
    refs = references(parse(src, py), py)
    assert refs == ["value", "compute"]


def test_enclosing_scopes() -> None:
    py = language_for_path("a.py")
    assert py is not None
    text = "class A:\n    def m(self):\n        x = 1\n\ndef f():\n    pass\n"
    tree = parse(text, py)
    scopes = enclosing_scopes(tree, char_to_byte(text, text.index("x = 1")))
    assert [(s.kind, s.name) for s in scopes] == [
        ("class_definition", "A"),
        ("function_definition", "m"),
    ]
    assert enclosing_scopes(tree, 0) == []
    c = language_for_path("a.c")
    assert c is not None
    ctext = "static int *get(void) {\n  return 0;\n}\n"
    (scope,) = enclosing_scopes(parse(ctext, c), ctext.index("return"))
    assert scope.name == "get"


def test_inside_string_or_comment() -> None:
    py = language_for_path("a.py")
    assert py is not None
    text = 'x = "abc"  # note\ny = f"{name}"\n'
    tree = parse(text, py)
    assert is_inside_string_or_comment(tree, text.index("bc"))
    assert not is_inside_string_or_comment(tree, text.index('"abc"') + 5)  # after the quote
    assert is_inside_string_or_comment(tree, text.index("note") + 4)  # end of line comment
    assert not is_inside_string_or_comment(tree, text.index("name") + 2)  # f-string code
    assert not is_inside_string_or_comment(tree, text.index("y"))
    js = language_for_path("a.js")
    assert js is not None
    jtext = "/* block */ let a = 1;"
    jtree = parse(jtext, js)
    assert is_inside_string_or_comment(jtree, 3)
    assert not is_inside_string_or_comment(jtree, jtext.index("*/") + 2)


def test_identifiers_near_orders_by_distance() -> None:
    text = "far_away = 1\n" + "\n" * 20 + "alpha = beta(gamma)\n"
    names = identifiers_near(text, text.index("beta") + 2, radius_lines=3)
    assert names[0] == "beta"
    assert set(names) == {"alpha", "beta", "gamma"}


def test_char_to_byte_handles_non_ascii() -> None:
    assert char_to_byte("é=1", 1) == 2
    assert char_to_byte("abc", 99) == 3


def test_tree_cache_reuses_parse() -> None:
    py = language_for_path("a.py")
    assert py is not None
    cache = TreeCache(max_entries=2)
    first = cache.parse("x = 1\n", py)
    again = cache.parse("x = 1\n", py)
    assert first is again and cache.parses == 1
    cache.parse("y = 2\n", py)
    cache.parse("z = 3\n", py)
    cache.parse("x = 1\n", py)  # evicted by the two newer texts
    assert cache.parses == 4


def _defs(language_id: str, src: str) -> dict[str, str]:
    lang = language_for_id(language_id)
    assert lang is not None
    return {d.name: d.doc for d in definitions(parse(src, lang), lang, src.encode())}


def test_a_clipped_python_docstring_still_closes() -> None:
    body = "\n".join(f"    line {i} of a long story." for i in range(20))
    src = f'class Agent:\n    """Agent.\n\n{body}\n    """\n\n    def run(self) -> None: ...\n'
    doc = _defs("python", src)["Agent"]
    assert doc.count('"""') == 2 and doc.rstrip().endswith('"""')
    assert len(doc.splitlines()) <= 8


def test_a_clipped_block_comment_keeps_its_opening() -> None:
    body = "\n".join(f" * line {i}" for i in range(20))
    src = f"/**\n{body}\n */\nexport function go(): void {{}}\n"
    doc = _defs("typescript", src)["go"]
    assert doc.startswith("/**") and doc.rstrip().endswith("*/")
