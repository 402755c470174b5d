"""Receivers at the cursor and the types they were declared with, read from text alone."""

from __future__ import annotations

import pytest

from infilld.engine.receivers import (
    RustImpl,
    base_names,
    calls_own_member,
    declared_type,
    php_trait_names,
    rank_members,
    receiver_types,
    receivers_near,
    rust_impl_blocks,
    words,
)


def _at_end(text: str) -> tuple[str, int]:
    return text, len(text)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # Java: a parameter shadows the field of the same name, being nearer.
        (
            "class C {\n    private Store bridge;\n    void f(Bridge bridge) {\n        bridge.",
            ["Bridge"],
        ),
        # Go: a pointer parameter, an unexported receiver type, a composite literal.
        ("func (p *parser) f(b *Body) {\n\tx := &Expr{}\n\tb.", ["Body"]),
        ("func (p *parser) f() {\n\tp.", ["parser"]),
        ("func f() {\n\tx := &Expr{Op: 1}\n\tx.", ["Expr"]),
        # TS and Python annotations, generics skipped.
        ("function f(db: Collection<Row>, q) {\n  db.", ["Collection"]),
        ("def f(session: Session):\n    session.", ["Session"]),
        # A Python forward reference; a docstring's `name: Description` is not a declaration.
        ('def f(client: "MCPClient"):\n    client.', ["MCPClient"]),
        (
            "def f(registry: Registry):\n"
            '    """Args:\n        registry: The tool registry to use.\n    """\n'
            "    registry.",
            ["Registry"],
        ),
        # PHP typed parameters and `new`.
        ("function run(InputInterface $input) {\n    $input->", ["InputInterface"]),
        ("$helper = new QuestionHelper();\n$helper->", ["QuestionHelper"]),
        # A capitalised receiver is the type itself (static calls, Rust paths).
        ("    Logger.", ["Logger"]),
        ("let s = Span::new(a, b);\nSpan::", ["Span"]),
        # `this` and `self` are the file's own class; an untyped local gives nothing, and a
        # method's result is not a type (`diags = diags.Append(` says nothing of diags).
        ("    this.", []),
        ("x = make()\nx.", []),
        ("var diags Diagnostics\ndiags = diags.Append(d)\ndiags.", ["Diagnostics"]),
        ("x = obj.Build(1)\nx.", []),
        # A comment names no receiver.
        ("// see bodies.\nb := &hcl.Body{}\nb.", ["Body"]),
        # Minified code: a declaration on an over-long line is not read; the end of a long
        # cursor line still is.
        ("var x = new Foo(); " + "a" * 2000 + "\nx.", []),
        ("a" * 5000 + "; Logger.", ["Logger"]),
    ],
)
def test_receiver_types(code: str, expected: list[str]) -> None:
    assert receiver_types(*_at_end(code)) == expected


def test_a_receiver_not_declared_in_the_text_is_looked_for_in_headers() -> None:
    header = "class RE2 {\n private:\n  Prog* prog_;\n  Options options_;\n};\n"
    text = "int RE2::ProgramSize() const {\n  return prog_->"
    assert receiver_types(text, len(text)) == []
    assert receiver_types(text, len(text), headers=["", header]) == ["Prog"]
    # The text's own declaration comes first.
    local = "void f(Other* prog_) {\n  prog_->"
    assert receiver_types(local, len(local), headers=[header]) == ["Other"]


def test_receivers_at_the_cursor_come_before_those_above() -> None:
    text = "a.run()\nb.stop()\nc."
    assert receivers_near(text, len(text)) == ["c", "b", "a"]
    # Only the lines above the cursor: a receiver further down is not the code being written.
    assert receivers_near(text, len("a.run()\nb.")) == ["b", "a"]


def test_a_field_declared_below_the_method_is_found() -> None:
    text = "class C {\n    void f() {\n        store.\n    }\n    private Store store;\n}\n"
    offset = text.index("store.") + len("store.")
    assert declared_type(text, offset, "store") == "Store"


def test_members_rank_by_what_is_typed_then_words_near_the_cursor() -> None:
    members = ["getApp", "shouldKeepRunning", "releaseCall", "isLoggingEnabled"]
    near = words(["release", "keepAlive", "bridge"])
    assert near == {"release", "keep", "alive", "bridge"}
    assert [members[i] for i in rank_members(members, near)][:2] == [
        "shouldKeepRunning",
        "releaseCall",
    ]
    assert members[rank_members(members, near, typed="is")[0]] == "isLoggingEnabled"
    # Prefixes count both ways: `log` near the cursor matches `isLoggingEnabled`.
    assert members[rank_members(members, words(["logMessage"]))[0]] == "isLoggingEnabled"


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        ("class OpenAIProvider(BaseProvider):", ["BaseProvider"]),
        (
            "@dataclass\nclass A(pkg.Base[dict[str, int]], Generic[T], metaclass=M):",
            ["Base", "Generic"],
        ),
        ("class Plain:", []),
        ("class Legacy(object):", []),
        ("export class Store<T extends Row> extends BaseStore<T> implements Sink {", ["BaseStore"]),
        ("public final class Bridge extends Base implements Runnable {", ["Base"]),
        ("interface Props extends Base<K>, Extra {", ["Base", "Extra"]),
        ("class Parser : public Walker<int>, private Helper {", ["Walker", "Helper"]),
        (
            "public sealed class Task<T> : AwaiterBase<T>, IDisposable where T : class",
            ["AwaiterBase", "IDisposable"],
        ),
        ("class Command extends Base\n{", ["Base"]),
        (
            "type Server struct {\n\t*Base\n\tsync.Mutex // guards name\n\tname string\n"
            '\tOptions `json:"options"`\n\tList[T]\n}',
            ["Base", "Mutex", "Options", "List"],
        ),
        ("type ReadCloser interface {\n\tReader\n\tClose() error\n}", ["Reader"]),
        ("type Point struct { X, Y int }", []),
        ("type Handler func(w Writer)", []),
    ],
)
def test_base_names(signature: str, expected: list[str]) -> None:
    assert base_names(signature) == expected


def test_rust_impl_blocks() -> None:
    lines = [
        "pub struct Ledger<T> {",  # 0
        "    total: u64,",
        "}",
        "impl<T: Into<String>> Ledger<T> {",  # 3
        "    pub fn new() -> Self {",
        "        todo!()",
        "    }",
        "}",  # 7
        "impl<T> fmt::Display for Ledger<T> {",  # 8
        "    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { Ok(()) }",
        "}",  # 10
        "unsafe impl Send for crate::ledger::Ledger {}",  # 11
        "mod inner {",
        "    impl<'a> From<&'a str> for &mut Name {",  # 13
        "        fn from(s: &'a str) -> Self { todo!() }",
        "    }",  # 15
        "}",
        "// impl Nothing for Here {",
    ]
    assert rust_impl_blocks(lines) == [
        RustImpl("Ledger", "", 3, 7),
        RustImpl("Ledger", "Display", 8, 10),
        RustImpl("Ledger", "Send", 11, 11),
        RustImpl("Name", "From", 13, 15),
    ]


def test_an_unformatted_rust_impl_block_ends_before_the_next_impl() -> None:
    lines = [
        "impl Point { pub fn x(&self) -> i32 { self.x }",  # 0: no rustfmt closer line
        "  pub fn y(&self) -> i32 { self.y } }",
        "impl Shape {",  # 2
        "    pub fn area(&self) -> f64 { 0.0 }",
        "}",  # 4
        "impl Last { pub fn z(&self) {} }",  # 5: runs to the end of the file
        "fn free() {}",
    ]
    assert rust_impl_blocks(lines) == [
        RustImpl("Point", "", 0, 1),
        RustImpl("Shape", "", 2, 4),
        RustImpl("Last", "", 5, 6),
    ]


def test_php_trait_names() -> None:
    body = [
        "    use Greets, Other\\Logs;",
        "    use Counts { count as protected; }",
        "    private $items = [];",
        "    public function each(callable $f): void",
        "    {",
        "        use Nope;",  # not a trait: past the first method
    ]
    assert php_trait_names(body) == ["Greets", "Logs", "Counts"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("        self.", True),
        ("        result = self._con", True),
        ("    this.", True),
        ("        super().", True),
        ("        $this->", True),
        ("        parent::", True),
        ("        self.client.", False),  # a field's own type, not the class's members
        ("        other.self.", False),
        ("        call(self, ", False),
    ],
)
def test_calls_own_member(code: str, expected: bool) -> None:
    assert calls_own_member(code, len(code)) is expected
