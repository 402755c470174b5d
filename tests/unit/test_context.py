"""select_context: what is chosen, in which order, within which budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infilld.engine.context import ContextSnippet, class_ancestors, select_context
from infilld.index import WorkspaceIndex


def tokens(text: str) -> int:
    return max(1, len(text) // 4)


def cost(snippets: list[ContextSnippet]) -> int:
    return sum(1 + tokens(f"{s.path}\n{s.text}\n") for s in snippets)


LONG_BODY = "\n".join(f"    step_{i} = {i}" for i in range(40))

FILES = {
    "shop/models.py": (
        'class Product:\n    """A thing to sell."""\n    name: str\n    price: float\n'
    ),
    "shop/pricing.py": (
        "from shop.models import Product\n\n"
        "TAX = 0.2\n\n"
        "def total(product: Product) -> float:\n"
        '    """Price with tax."""\n'
        f"{LONG_BODY}\n"
        "    return product.price * (1 + TAX)\n\n"
        "def _private():\n    pass\n"
    ),
    "shop/report.py": (
        "from shop.pricing import total\n"
        "from shop.models import Product\n\n"
        "def report(items: list[Product]) -> str:\n"
        "    lines = []\n"
        "    for item in items:\n"
        "        lines.append(f'{item.name}: {total(item)}')\n"
        "    return '\\n'.join(lines)\n"
    ),
    "other/unrelated.py": "def unrelated_helper():\n    return 42\n",
}


def _workspace(tmp_path: Path, files: dict[str, str]) -> WorkspaceIndex:
    root = tmp_path / "repo"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    idx = WorkspaceIndex(root, cache_dir=tmp_path / "cache")
    idx.build()
    return idx


@pytest.fixture
def index(tmp_path: Path) -> WorkspaceIndex:
    return _workspace(tmp_path, FILES)


def select(
    index: WorkspaceIndex,
    rel: str,
    offset: int | None = None,
    *,
    budget: int = 2000,
    recent: list[tuple[Path, str]] | None = None,
) -> list[ContextSnippet]:
    path = index.root / rel
    text = path.read_text()
    return select_context(
        index,
        path,
        text,
        len(text) if offset is None else offset,
        budget_tokens=budget,
        count_tokens=tokens,
        recent=recent or (),
    )


def block_of(index: WorkspaceIndex, rel: str, other: str, **kwargs: Any) -> str:
    """The context text from `other` for a completion at the end of `rel`."""
    return next(s.text for s in select(index, rel, **kwargs) if s.path == other)


def typed_blocks(
    index: WorkspaceIndex, rel: str, text: str, budget: int, offset: int | None = None
) -> dict[str, str]:
    """Each file's context text for a completion at `offset` (default: the end) of `text`,
    typed into `rel`: the index holds the buffer, as didChange makes it in the server."""
    path = index.root / rel
    index.update_buffer(path, text)
    got = select_context(
        index, path, text, len(text) if offset is None else offset,
        budget_tokens=budget, count_tokens=tokens,
    )  # fmt: skip
    return {s.path: s.text for s in got}


def library_block(
    tmp_path: Path, lib: str, lib_text: str, main_text: str
) -> tuple[WorkspaceIndex, str]:
    """A workspace of one library file and app/main.py, and the library's block in the context
    of a completion at the end of app/main.py (500-token budget)."""
    index = _workspace(tmp_path, {lib: lib_text, "app/main.py": main_text})
    return index, block_of(index, "app/main.py", lib, budget=500)


def test_used_definitions_and_api_never_the_current_file(index: WorkspaceIndex) -> None:
    snippets = select(index, "shop/report.py")
    by_path = {s.path: s.text for s in snippets}
    assert set(by_path) == {"shop/models.py", "shop/pricing.py"}
    # Product is small: shown whole, fields included.
    assert "price: float" in by_path["shop/models.py"]
    # total() is long: its signature and docstring, not its body.
    pricing = by_path["shop/pricing.py"]
    assert "def total(product: Product) -> float:" in pricing
    assert '"""Price with tax."""' in pricing
    assert "step_10" not in pricing
    assert "_private" not in pricing  # not public API
    assert "unrelated_helper" not in "".join(by_path.values())


def test_one_snippet_per_file_sorted_by_path(index: WorkspaceIndex) -> None:
    snippets = select(index, "shop/report.py")
    paths = [s.path for s in snippets]
    assert paths == sorted(paths)
    assert len(paths) == len(set(paths))
    # Pieces of one file keep file order and mark the gap between them.
    pricing = next(s.text for s in snippets if s.path == "shop/pricing.py")
    assert pricing.index("TAX = 0.2") < pricing.index("def total")
    assert "# ..." in pricing


def test_cursor_moves_keep_context_identical(index: WorkspaceIndex) -> None:
    text = (index.root / "shop/report.py").read_text()
    outputs = {tuple(select(index, "shop/report.py", offset)) for offset in range(0, len(text), 7)}
    assert len(outputs) == 1


def test_budget_is_respected(index: WorkspaceIndex) -> None:
    full = select(index, "shop/report.py")
    full_cost = cost(full)
    for budget in (full_cost, full_cost - 1, 30, 12):
        chosen = select(index, "shop/report.py", budget=budget)
        assert cost(chosen) <= budget
    assert select(index, "shop/report.py", budget=full_cost) == full
    assert cost(select(index, "shop/report.py", budget=30)) < full_cost
    assert select(index, "shop/report.py", budget=0) == []


def test_recent_regions_are_included(index: WorkspaceIndex) -> None:
    region = "def unrelated_helper():\n    return 42"
    snippets = select(index, "shop/report.py", recent=[(index.root / "other/unrelated.py", region)])
    assert ContextSnippet("other/unrelated.py", region) in snippets
    # A recent region of the current file itself is never included.
    own = select(index, "shop/report.py", recent=[(index.root / "shop/report.py", "lines = []")])
    assert all(s.path != "shop/report.py" for s in own)


def test_similar_sibling_chunks(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "handlers").mkdir(parents=True)
    shared = "request response session headers payload status"
    (root / "handlers/users.js").write_text(f"// {shared}\nfunction users() {{ return 1; }}\n")
    (root / "handlers/zzz.js").write_text("// nothing in common here at all\n")
    (root / "handlers/orders.js").write_text(f"// {shared}\nfunction orders() {{}}\n")
    index = WorkspaceIndex(root, cache_dir=tmp_path / "cache")
    index.build()
    path = root / "handlers/orders.js"
    text = f"const x = [{', '.join(shared.split())}];\nfunction orders() {{}}\n"
    snippets = select_context(index, path, text, 0, budget_tokens=500, count_tokens=tokens)
    assert [s.path for s in snippets] == ["handlers/users.js"]
    assert "function users()" in snippets[0].text


def test_buffer_text_drives_selection(index: WorkspaceIndex) -> None:
    # The unsaved buffer (not the disk) decides which names are used.
    path = index.root / "other/unrelated.py"
    text = "from shop.pricing import total\n\nvalue = total(None)\n"
    snippets = select_context(index, path, text, len(text), budget_tokens=500, count_tokens=tokens)
    assert [s.path for s in snippets] == ["shop/pricing.py"]


def test_file_without_grammar_still_works(index: WorkspaceIndex) -> None:
    path = index.root / "notes.txt"
    text = "remember to call unrelated_helper\n"
    snippets = select_context(index, path, text, 5, budget_tokens=500, count_tokens=tokens)
    assert [s.path for s in snippets] == ["other/unrelated.py"]


def test_definitions_in_another_language_family_are_ignored(tmp_path: Path) -> None:
    index = _workspace(
        tmp_path,
        {
            "web/types.ts": "export interface Model {\n  id: string;\n}\n",
            "app/model.py": "class Model:\n    ident: str\n",
            "app/use.py": "from app.model import Model\n\nm = Model()\n",
        },
    )
    got = select(index, "app/use.py", budget=500)
    assert [s.path for s in got] == ["app/model.py"]


def test_a_java_package_sees_its_own_files_without_imports(tmp_path: Path) -> None:
    method = "    double applyDiscount(double amount) {{\n        return amount * {};\n    }}\n"
    index = _workspace(
        tmp_path,
        {
            "src/com/shop/Pricing.java": (
                "package com.shop;\n\nclass Pricing {\n"
                + "".join(f"    int rate{i} = {i};\n" for i in range(60))  # unlike Cart's lines
                + method.format("0.9")
                + "}\n"
            ),
            "src/com/other/Fees.java": (
                "package com.other;\n\nclass Fees {\n" + method.format("1.1") + "}\n"
            ),
            "src/com/shop/Cart.java": "package com.shop;\n",
        },
    )
    path = index.root / "src/com/shop/Cart.java"
    text = (
        "package com.shop;\n\nclass Cart {\n    double total(double a) {\n"
        "        var pricing = Registry.current();\n        return pricing.applyDiscount(a);\n"
        "    }\n}\n"
    )
    got = select_context(index, path, text, len(text), budget_tokens=400, count_tokens=tokens)
    # A method name alone is too generic to trust, unless its file is one this file sees: here
    # Pricing, in the same package, and not the other package's look-alike.
    assert [s.path for s in got] == ["src/com/shop/Pricing.java"]
    assert "amount * 0.9" in got[0].text
    assert "rate1 " not in got[0].text  # the definition, not a look-alike chunk of its file


def test_after_a_receiver_the_block_lists_its_types_members(tmp_path: Path) -> None:
    # A class far too big for the block: 60 methods with 6-line bodies.
    methods = "".join(
        f"    public void step{i}(int n) {{\n" + "        n++;\n" * 4 + "    }\n" for i in range(60)
    )
    bridge = (
        "package com.shop.core;\n\npublic class Bridge {\n"
        "    private int secret;\n"
        + methods
        + "    public void releaseCall(PluginCall call) {\n        call.done();\n    }\n"
        + "    private void hidden() {\n    }\n"
        + "}\n"
    )
    index = _workspace(
        tmp_path,
        {"src/com/shop/core/Bridge.java": bridge, "src/com/shop/PluginCall.java": "package a;\n"},
    )
    path = index.root / "src/com/shop/PluginCall.java"
    text = (
        "package com.shop;\n\nimport com.shop.core.Bridge;\n\nclass PluginCall {\n"
        "    public void release(Bridge bridge) {\n        bridge."
    )
    got = select_context(index, path, text, len(text), budget_tokens=300, count_tokens=tokens)
    block = {s.path: s.text for s in got}["src/com/shop/core/Bridge.java"]
    lines = block.splitlines()
    # Signatures only, the one named like the code above the cursor among them, inside the
    # class's header and closing brace, and within a third of the budget.
    assert lines[0] == "public class Bridge {" and lines[-1] == "}"
    assert "    public void releaseCall(PluginCall call)" in lines
    assert "n++;" not in block and "hidden" not in block and "secret" not in block
    assert tokens(block) <= 300 // 3


def test_after_an_imported_module_the_block_lists_its_api(tmp_path: Path) -> None:
    # `text.` after `from shop import text`: the module's functions, the one named like the
    # code above first, ahead of the definitions the whole file uses (a long class here).
    helpers = "".join(
        f'def helper_{i}(value: str) -> str:\n    """Helper {i}."""\n    return value\n\n'
        for i in range(40)
    )
    text_py = helpers + "def slugify_title(title: str) -> str:\n    return title.lower()\n"
    fields = "".join(f"    field_{i}: int = {i}\n" for i in range(40))
    models = f"class Product:\n    name: str\n{fields}"
    index = _workspace(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/text.py": text_py,
            "shop/models.py": models,
            "shop/views.py": "",
            "web/fmt.ts": "export function money(value: number): string {\n  return ``\n}\n",
            "web/pay.ts": "",
        },
    )
    view = (
        "from shop import text\nfrom shop.models import Product\n\n\n"
        "def show(product: Product) -> str:\n    title = product.name\n    return text."
    )
    got = select_context(
        index, index.root / "shop/views.py", view, len(view), budget_tokens=150,
        count_tokens=tokens,
    )  # fmt: skip
    block = {s.path: s.text for s in got}.get("shop/text.py", "")
    assert "def slugify_title(title: str) -> str" in block
    assert "helper_39" not in block  # within its share of the budget, the best first
    pay = 'import * as fmt from "./fmt";\n\nexport function pay(n: number) {\n  return fmt.'
    got = select_context(
        index, index.root / "web/pay.ts", pay, len(pay), budget_tokens=150, count_tokens=tokens
    )
    assert "export function money(value: number): string" in {s.path: s.text for s in got}.get(
        "web/fmt.ts", ""
    )


def test_a_cpp_field_is_typed_by_the_class_header_the_source_file_includes(
    tmp_path: Path,
) -> None:
    # In re2.cc, `prog_` is a field of RE2 declared in re2.h (`Prog* prog_;`): its members are
    # Prog's, from prog.h, though re2.cc never declares prog_ itself.
    methods = "".join(f"  int Step{i}(int n);\n" for i in range(60))
    prog = f"#pragma once\nnamespace re2 {{\nclass Prog {{\n public:\n{methods}  int inst_count();\n}};\n}}\n"
    header = (
        '#pragma once\n#include "re2/prog.h"\nnamespace re2 {\nclass RE2 {\n public:\n'
        "  int ProgramSize() const;\n private:\n  Prog* prog_;\n};\n}\n"
    )
    index = _workspace(
        tmp_path,
        {"re2/prog.h": prog, "re2/re2.h": header, "re2/re2.cc": "", "re2/other.cc": ""},
    )
    text = (
        '#include "re2/re2.h"\n#include "re2/prog.h"\nnamespace re2 {\n\n'
        "int RE2::ProgramSize() const {\n  return prog_->"
    )
    got = select_context(
        index, index.root / "re2/re2.cc", text, len(text), budget_tokens=300, count_tokens=tokens
    )
    block = {s.path: s.text for s in got}.get("re2/prog.h", "")
    assert "  int Step0(int n);" in block.splitlines()  # a listing of Prog's members
    # Another source file does not read re2.h's fields: prog_ is nothing there.
    got = select_context(
        index, index.root / "re2/other.cc", text, len(text), budget_tokens=300, count_tokens=tokens
    )
    assert "  int Step0(int n);" not in {s.path: s.text for s in got}.get("re2/prog.h", "")


def test_a_js_constructors_prototype_methods_are_its_members(tmp_path: Path) -> None:
    # Pre-class JavaScript: `new Runner(...)` makes a Runner, whose methods are assigned to its
    # prototype after the function, not inside it.
    methods = "".join(
        f"Runner.prototype.step{i} = function (n) {{\n" + "  n++;\n" * 4 + "};\n\n"
        for i in range(60)
    )
    runner = (
        "function Runner(suite, opts) {\n  this.suite = suite;\n}\n\n"
        + methods
        + "Runner.prototype.runSuite = function (suite, fn) {\n  return fn(suite);\n};\n\n"
        + "Runner.prototype._hidden = function () {};\n\nmodule.exports = Runner;\n"
    )
    index = _workspace(tmp_path, {"lib/runner.js": runner, "lib/cli.js": ""})
    text = (
        "const Runner = require('./runner');\n\nfunction main(suite) {\n"
        "  const runner = new Runner(suite, {});\n  // run the suite\n  runner."
    )
    got = select_context(
        index, index.root / "lib/cli.js", text, len(text), budget_tokens=300, count_tokens=tokens
    )
    block = {s.path: s.text for s in got}["lib/runner.js"]
    lines = block.splitlines()
    assert lines[0] == "function Runner(suite, opts) { ... }"
    assert "Runner.prototype.runSuite = function (suite, fn) { ... };" in lines
    # The listing (other chunks of the file may follow it): public methods only, within a
    # third of the budget.
    listing = [line for line in lines if line.endswith("{ ... };")]
    assert listing and not any("_hidden" in line for line in listing)
    assert tokens("\n".join([lines[0], *listing])) <= 300 // 3


def test_a_csharp_partial_types_members_come_from_all_its_parts(tmp_path: Path) -> None:
    def part(methods: list[str]) -> str:
        body = "".join(
            f"    public static int {m}(int n)\n    {{\n        return n;\n    }}\n"
            for m in methods
        )
        return f"namespace Py.Runtime;\n\npublic static partial class Runtime\n{{\n{body}}}\n"

    index = _workspace(
        tmp_path,
        {
            "src/Runtime.cs": part(
                [f"Step{i}" for i in range(30)] + ["PyFloat_FromDouble"]
            ).replace("}\n}\n", "}\n    static int PyFloat_Check(int n) => n;\n}\n"),
            "src/Runtime.Delegates.cs": part(
                [f"Other{i}" for i in range(30)] + ["PyFloat_AsDouble"]
            ),
            "src/Types/Convert.cs": "namespace Py.Runtime;\n",
        },
    )
    text = (
        "namespace Py.Runtime;\n\nclass Convert\n{\n    static int FromFloat(double value)\n"
        "    {\n        // a PyFloat from a double, and back\n        return Runtime.PyFloat"
    )
    blocks = typed_blocks(index, "src/Types/Convert.cs", text, 300)
    # The members named like what is typed come first, whichever part declares them.
    assert (
        "    public static int PyFloat_FromDouble(int n)" in blocks["src/Runtime.cs"].splitlines()
    )
    assert (
        "    public static int PyFloat_AsDouble(int n)"
        in blocks["src/Runtime.Delegates.cs"].splitlines()
    )
    # A member without an access modifier is private in C#.
    assert "PyFloat_Check" not in blocks["src/Runtime.cs"]
    # Within a third of the budget for the two parts together.
    assert sum(tokens(b) for b in blocks.values()) <= 300 // 3


def test_a_csharp_using_offers_the_namespaces_types_not_the_namespace(tmp_path: Path) -> None:
    body = "".join(f"        var x{i} = {i};\n" for i in range(12))
    order = (
        "namespace Shop.Models\n{\n    public class Order\n    {\n"
        f"        public decimal Total(int units)\n        {{\n{body}"
        "            return 0;\n        }\n    }\n}\n"
    )
    index = _workspace(
        tmp_path,
        {"Models/Order.cs": order, "App/Main.cs": "using Shop.Models;\n\nnamespace Shop.App;\n"},
    )
    path = index.root / "App/Main.cs"
    text = "using Shop.Models;\n\nnamespace Shop.App;\n\nclass Main\n{\n    void Run() { "
    got = select_context(index, path, text, len(text), budget_tokens=400, count_tokens=tokens)
    block = {s.path: s.text for s in got}["Models/Order.cs"]
    # The class's API (its method's signature), not a namespace line over a class header.
    assert "public decimal Total(int units)" in block
    assert "var x3" not in block


def test_a_huge_namespace_import_offers_the_api_of_its_first_files_only(tmp_path: Path) -> None:
    files = {
        f"Models/Model{i:03}.cs": f"namespace Big;\n\npublic class Model{i:03}\n{{\n}}\n"
        for i in range(150)
    }
    files["App/Main.cs"] = "using Big;\n"
    index = _workspace(tmp_path, files)
    text = "using Big;\n\nclass Main\n{\n    void Run() { "
    got = select_context(
        index,
        index.root / "App/Main.cs",
        text,
        len(text),
        budget_tokens=20_000,
        count_tokens=tokens,
    )
    paths = sorted(s.path for s in got)
    assert paths[0] == "Models/Model000.cs"
    assert len(paths) == 100  # not 150: selection time stays bounded on any import


def test_a_type_stub_opens_the_brace_it_closes(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i};\n" for i in range(20))
    store_ts = (
        "export class Store {\n  count = 0;\n"
        f"  add(n: number): number {{\n{body}    return n;\n  }}\n}}\n"
    )
    store_cs = (
        "namespace Shop\n{\n    public class Store\n    {\n        public int Count;\n"
        f"        public int Add(int n)\n        {{\n{body}            return n;\n        }}\n"
        "    }\n}\n"
    )
    index = _workspace(
        tmp_path,
        {
            "store.ts": store_ts,
            "use.ts": "import { Store } from './store';\nconst s = new Store();\n",
            "Store.cs": store_cs,
            "Use.cs": "namespace Shop\n{\n    class Use\n    {\n        Store s = new Store();\n",
        },
    )
    blocks = {}
    for rel in ("use.ts", "Use.cs"):
        text = (index.root / rel).read_text()
        got = select_context(
            index, index.root / rel, text, len(text), budget_tokens=60, count_tokens=tokens
        )
        blocks.update({s.path: s.text for s in got})
    # K&R style keeps the brace on the header's line, Allman style (C#) on the next one.
    assert blocks["store.ts"].splitlines()[0] == "export class Store {"
    assert blocks["store.ts"].splitlines()[-1] == "}"
    assert blocks["Store.cs"].splitlines()[:2] == ["    public class Store", "    {"]
    assert blocks["Store.cs"].splitlines()[-1] == "    }"


def test_a_name_imported_but_not_used_yet_comes_first(tmp_path: Path) -> None:
    # Two imported definitions compete for a budget that fits one: the one the file imports and
    # does not use yet (the line being written is about to) wins over one it already uses often.
    doc = '    """' + "Words about it. " * 6 + '"""\n'
    index = _workspace(
        tmp_path,
        {
            "lib/errors.py": f"class QuotaError(Exception):\n{doc}    code: int\n",
            "lib/client.py": f"class Client:\n{doc}    url: str\n",
            "app/main.py": (
                "from lib.client import Client\nfrom lib.errors import QuotaError\n\n"
                "a = Client()\nb = Client()\nc = Client()\n\ndef run():\n    raise \n"
            ),
        },
    )
    one = 1 + tokens(f"lib/errors.py\nclass QuotaError(Exception):\n{doc}    code: int\n") + 5
    text = (index.root / "app/main.py").read_text()
    got = select(index, "app/main.py", len(text) - 1, budget=one)
    assert [s.path for s in got] == ["lib/errors.py"]


def test_long_functions_are_shown_as_stubs_short_ones_whole(tmp_path: Path) -> None:
    long_body = "".join(f"    x_{i} = {i}\n" for i in range(12))
    util_py = (
        "def short(a):\n    return a + 1\n\n\n"
        f'def longer(a):\n    """Sum things."""\n{long_body}    return a\n'
    )
    main_py = "from lib.util import short, longer\n\nshort(1)\nlonger(2)\n"
    _, util = library_block(tmp_path, "lib/util.py", util_py, main_py)
    assert "return a + 1" in util  # a short function: whole
    assert "def longer(a):" in util and '"""Sum things."""' in util
    assert "x_5" not in util  # a long one: signature and doc


def test_a_long_class_stub_lists_its_fields(tmp_path: Path) -> None:
    methods = "".join(
        f"    def m{i}(self, x: int) -> int:\n        '''Do {i}.'''\n        return x + {i}\n\n"
        for i in range(8)
    )
    models_py = (
        "class Params:\n    '''Request parameters.'''\n\n    model: str\n"
        f"    temperature: float | None = None\n    _secret: int = 0\n\n{methods}"
    )
    main_py = "from lib.models import Params\n\np = Params(\n"
    index, stub = library_block(tmp_path, "lib/models.py", models_py, main_py)
    assert "    model: str\n    temperature: float | None = None" in stub
    assert "_secret" not in stub  # private
    assert "return x + 3" not in stub  # methods as signatures
    assert "def m3(self, x: int) -> int:" in stub
    # A field is never context on its own: `model` used here does not pull in Params.
    other = "from lib.models import Params\n\nmodel = 1\nprint(model)\n"
    path = index.root / "app/main.py"
    alone = select_context(index, path, other, 0, budget_tokens=500, count_tokens=tokens)
    assert all("model: str" not in s.text or "class Params" in s.text for s in alone)


def test_a_region_that_shows_a_chosen_definition_does_not_repeat_it(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/shapes.py": "class Square:\n    side: int\n\n\ndef area(s):\n    return s.side**2\n",
        "pkg/use.py": "from pkg.shapes import Square, area\n\nprint(area(Square()))\n",
    }
    index = _workspace(tmp_path, files)
    whole = files["pkg/shapes.py"].rstrip("\n")
    for recent in ([], [(index.root / "pkg/shapes.py", whole)]):
        shapes = block_of(index, "pkg/use.py", "pkg/shapes.py", recent=recent)
        assert shapes.count("class Square:") == 1
        assert shapes.count("def area(s):") == 1


def test_a_region_that_shows_a_long_functions_header_does_not_repeat_its_stub(
    tmp_path: Path,
) -> None:
    body = "".join(f"    step_{i} = state.advance({i})\n" for i in range(40))
    lib = (
        "def run_pipeline(state, *, retries=3):\n"
        '    """Run every step of the pipeline on `state`."""\n' + body + "    return state\n"
    )
    files = {
        "pkg/__init__.py": "",
        "pkg/pipeline.py": lib,
        "pkg/use.py": "from pkg.pipeline import run_pipeline\n\nrun_pipeline(\n",
    }
    index = _workspace(tmp_path, files)
    # A recent region from the def to a few lines into the body: not the whole function, whose
    # stub (signature and docstring) the definitions part also offers.
    head = "\n".join(lib.splitlines()[:8])
    block = block_of(
        index, "pkg/use.py", "pkg/pipeline.py", recent=[(index.root / "pkg/pipeline.py", head)]
    )
    assert "step_5 = state.advance(5)" in block  # the region is there
    assert block.count("def run_pipeline(") == 1
    assert block.count("Run every step of the pipeline") == 1


def test_a_region_inside_a_class_whose_stub_comes_first_is_marked_as_elsewhere(
    tmp_path: Path,
) -> None:
    methods = "".join(
        f"    def step_{i}(self, x):\n"
        + "".join(f"        x = x + {10 * i + j}\n" for j in range(6))
        + "        return x\n\n"
        for i in range(40)
    )  # a class too long to show whole: its stub lists the members
    lib = 'class Machine:\n    """Runs steps."""\n\n' + methods
    files = {
        "pkg/__init__.py": "",
        "pkg/machine.py": lib,
        "pkg/use.py": "from pkg.machine import Machine\n\nm = Machine()\nm.step_1(\n",
    }
    index = _workspace(tmp_path, files)
    lines = lib.splitlines()
    inside = "\n".join(lines[13:17])  # the body of step_1: `x = x + 10` .. `x = x + 13`
    block = block_of(
        index,
        "pkg/use.py",
        "pkg/machine.py",
        budget=300,
        recent=[(index.root / "pkg/machine.py", inside)],
    )
    got = block.splitlines()
    last_member = got.index("    def step_39(self, x):")  # the class stub lists the members
    assert "        x = x + 30" not in got  # not the whole class
    assert got.index("        x = x + 12") > last_member
    # The region follows the stub's last member: a mark must say that code is left out between
    # them, or `x = x + 10` reads as the body of step_39.
    assert got[last_member + 1] == "# ..."
    assert got[last_member + 2].startswith("        x = x + 1")  # step_1's body


def test_a_region_right_after_a_jsdoc_stub_continues_it_without_a_mark(tmp_path: Path) -> None:
    body = "".join(f"  total += step{i}(a, b)\n" for i in range(30))
    lib = (
        "export const ZERO = 0\n\n/**\n * Adds a to b, step by step.\n */\n"
        "export function add(a: number, b: number): number {\n  let total = 0\n"
        + body + "  return total\n}\n"
    )  # fmt: skip
    files = {"src/math.ts": lib, "src/use.ts": "import { add } from './math'\n\nadd(\n"}
    index = _workspace(tmp_path, files)
    lines = lib.splitlines()
    after_signature = "\n".join(lines[6:12])  # from `let total = 0`, the line after the signature
    block = block_of(
        index, "src/use.ts", "src/math.ts", recent=[(index.root / "src/math.ts", after_signature)]
    )
    got = block.splitlines()
    signature = next(i for i, line in enumerate(got) if line.startswith("export function add("))
    assert got[signature - 3] == "/**"  # the stub's doc is written above its signature
    # The stub's text ends on the signature's line, so the region goes straight on from it.
    assert got[signature + 1] == "  let total = 0"


def test_overlapping_regions_do_not_repeat_their_common_lines(tmp_path: Path) -> None:
    lib = "".join(f"VALUE_{i} = {i}\n" for i in range(40))
    files = {"pkg/__init__.py": "", "pkg/values.py": lib, "pkg/use.py": "import os\n\nx = 1\n"}
    index = _workspace(tmp_path, files)
    lines = lib.splitlines()
    path = index.root / "pkg/values.py"
    recent = [(path, "\n".join(lines[5:15])), (path, "\n".join(lines[10:20]))]
    block = block_of(index, "pkg/use.py", "pkg/values.py", recent=recent)
    assert block.count("VALUE_12 = 12") == 1
    assert [ln for ln in block.splitlines() if ln.startswith("VALUE_")] == lines[5:20]


# ------------------------------------------------------------------------------ near code

HANDLER = (
    "def handle_user(request, session):\n"
    "    user = session.load(request.user_id)\n"
    "    audit.record(user, request.path)\n"
    "    return render(user)\n"
)


def _blocks_at_end(index: WorkspaceIndex, rel: str, text: str, budget: int) -> dict[str, str]:
    """The context block of each file, for a cursor at the end of `text` in `rel`."""
    got = select_context(
        index, index.root / rel, text, len(text), budget_tokens=budget, count_tokens=tokens
    )
    return {s.path: s.text for s in got}


def _near_workspace(tmp_path: Path) -> WorkspaceIndex:
    return _workspace(
        tmp_path,
        {
            "app/users.py": "import os\n" * 25 + HANDLER,
            "app/models.py": 'class Order:\n    """An order."""\n    total: float\n',
            "web/users.ts": "const user = session.load(request.user_id);\n",  # another family
            "app/orders.py": "from app.models import Order\n\nx = 1\n",
        },
    )


def _near_select(index: WorkspaceIndex, text: str, near_code: bool = True) -> list[ContextSnippet]:
    path = index.root / "app/orders.py"
    return select_context(
        index, path, text, len(text), budget_tokens=80, count_tokens=tokens, near_code=near_code
    )


def test_code_like_the_lines_above_the_cursor_comes_first(tmp_path: Path) -> None:
    index = _near_workspace(tmp_path)
    text = "from app.models import Order\n\ndef handle_order(request, session):\n    order = "
    got = _near_select(index, text)
    # The budget fits about one piece: the window like the cursor's lines beats Order's class.
    assert [s.path for s in got] == ["app/users.py"]
    assert "session.load(request.user_id)" in got[0].text
    assert len(got[0].text.splitlines()) <= 20  # a window, not the whole file
    # Without near code, the definition the file uses is what fills the budget.
    assert [s.path for s in _near_select(index, text, near_code=False)] == ["app/models.py"]


def test_near_code_follows_the_cursor_and_the_buffers(tmp_path: Path) -> None:
    index = _near_workspace(tmp_path)
    # Lines above the cursor that nothing resembles: no window is worth its tokens.
    assert all(s.path != "app/users.py" for s in _near_select(index, "zzz = qqq\n"))
    # An unsaved edit to the other file is what the next selection sees: postings are keyed by
    # the index's fingerprint of the buffer, so stale ones would still offer the old window.
    text = "def handle_order(request, session):\n    order = "
    assert any("audit.record" in s.text for s in _near_select(index, text))
    unrelated = "import os\n" * 25 + "alpha = beta\n" * 4
    index.update_buffer(index.root / "app/users.py", unrelated)
    assert all(s.path != "app/users.py" for s in _near_select(index, text))


def test_far_parts_of_the_current_file_are_near_code_too(tmp_path: Path) -> None:
    index = _workspace(tmp_path, {"app/models.py": "class Order:\n    total: float\n"})
    path = index.root / "app/orders.py"
    lines_above = "def handle_order(request, session):\n    order = "

    def own_windows(between: int, prompt_lines: tuple[int, int] = (64, 16)) -> list[str]:
        text = HANDLER + "step = 1\n" * between + lines_above
        got = select_context(
            index, path, text, len(text), budget_tokens=80, count_tokens=tokens,
            near_code=True, prompt_lines=prompt_lines,
        )  # fmt: skip
        return [s.text for s in got if s.path == "app/orders.py"]

    # 80 lines up, out of the prompt's sight: the handler comes back as near code.
    far = own_windows(80)
    assert len(far) == 1 and "session.load(request.user_id)" in far[0]
    # 30 lines up the prompt shows it already: not again.
    assert own_windows(30) == []
    # ... unless the prompt shows fewer lines (completion.prefixLines).
    assert len(own_windows(30, prompt_lines=(8, 16))) == 1


def test_after_self_the_block_lists_the_inherited_members(tmp_path: Path) -> None:
    # `self.` in a provider whose base class lives in another file: the base's members come
    # first, its protected `_helper`s included (a subclass calls those), ranked by the words
    # near the cursor; the name-mangled `__secret` is not callable and stays out. Without
    # `self.` at the cursor the block does not spend its receivers' share on them.
    steps = [
        f"    def step_{i}(self, value: int) -> int:\n        return value\n\n" for i in range(40)
    ]
    base = (
        "class Provider:\n"
        "    def __secret(self) -> None:\n        pass\n\n"
        + "".join(steps[:20])
        + "    def _convert_completion(self, raw: dict) -> str:\n        return str(raw)\n\n"
        + "".join(steps[20:])
    )
    index = _workspace(
        tmp_path,
        {"llm/__init__.py": "", "llm/base.py": base, "llm/openai.py": "", "llm/other.py": ""},
    )
    text = (
        "from llm.base import Provider\n\n\n"
        "class OpenAI(Provider):\n"
        "    def complete(self, prompt: str) -> str:\n"
        "        raw = {'completion': prompt}\n"
        "        return self."
    )
    block = _blocks_at_end(index, "llm/openai.py", text, 150).get("llm/base.py", "")
    assert "def _convert_completion(self, raw: dict) -> str" in block
    assert "__secret" not in block
    assert "class Provider:" in block
    plain = text.replace("return self.", "return ")
    got = select_context(
        index, index.root / "llm/openai.py", plain, len(plain), budget_tokens=150,
        count_tokens=tokens,
    )  # fmt: skip
    assert "_convert_completion" not in {s.path: s.text for s in got}.get("llm/base.py", "")


def test_a_receivers_type_brings_the_members_it_inherits(tmp_path: Path) -> None:
    # `result.` where result is a RunResult, whose base in another file defines the fields:
    # the block lists the base's public members after the type's own, and not its protected
    # ones (another class cannot call those). A type of the current file brings its bases too,
    # since the window may show the type but not what it inherits.
    base = (
        "class RunResultBase:\n"
        "    raw_responses: list[str]\n"
        "    input_guardrail_results: list[str]\n\n"
        "    def _private_helper(self) -> None:\n        pass\n"
    )
    index = _workspace(
        tmp_path,
        {
            "agents/__init__.py": "",
            "agents/base.py": base,
            "agents/result.py": (
                "from agents.base import RunResultBase\n\n\n"
                "class RunResult(RunResultBase):\n    final_output: str\n"
            ),
            "agents/pretty.py": "",
        },
    )
    text = (
        "from agents.result import RunResult\n\n\n"
        "def pretty(result: RunResult) -> str:\n"
        "    return str(result."
    )
    got = select_context(
        index, index.root / "agents/pretty.py", text, len(text), budget_tokens=200,
        count_tokens=tokens,
    )  # fmt: skip
    blocks = {s.path: s.text for s in got}
    assert "final_output: str" in blocks.get("agents/result.py", "")
    assert "raw_responses: list[str]" in blocks.get("agents/base.py", "")
    assert "_private_helper" not in blocks.get("agents/base.py", "")
    local = (
        "from agents.base import RunResultBase\n\n\n"
        "class LocalResult(RunResultBase):\n    pass\n\n\n"
        "def pretty(result: LocalResult) -> str:\n"
        "    return str(result."
    )
    index.update_buffer(index.root / "agents/pretty.py", local)
    got = select_context(
        index, index.root / "agents/pretty.py", local, len(local), budget_tokens=200,
        count_tokens=tokens,
    )  # fmt: skip
    assert "raw_responses: list[str]" in {s.path: s.text for s in got}.get("agents/base.py", "")


def test_a_members_stub_keeps_the_decorators_that_say_how_it_is_used(tmp_path: Path) -> None:
    # `result.last_agent` is a property: listed as a bare `def last_agent(self)`, it reads as a
    # method to call (the model wrote `last_agent()`). Decorators that say nothing about the
    # call (`@abc.abstractmethod`) stay out, to spare the budget.
    result = (
        "import abc\nimport functools\n\n\n"
        "class RunResult:\n"
        + "".join(f"    def step{i}(self) -> None:\n" + "        pass\n" * 4 for i in range(12))
        + "    @property\n    @abc.abstractmethod\n    def last_agent(self) -> str:\n"
        + "        return ''\n" * 4
        + "    @functools.cached_property\n    def usage(self) -> int:\n"
        + "        return 0\n" * 4
        + "    @classmethod\n    def empty(cls) -> 'RunResult':\n"
        + "        return cls()\n" * 4
        + "    @abc.abstractmethod\n    def to_input_list(self) -> list:\n"
        + "        return []\n" * 4
    )
    index = _workspace(
        tmp_path,
        {"agents/__init__.py": "", "agents/result.py": result, "agents/voice.py": ""},
    )
    text = (
        "from agents.result import RunResult\n\n\n"
        "def hand_off(result: RunResult) -> str:\n"
        "    agent, usage, empty, items = 1, 2, 3, 4\n"
        "    return result."
    )
    # The class's stub comes first; verbatim regions of its file may follow a `# ...` mark.
    lines = _blocks_at_end(index, "agents/voice.py", text, 600)["agents/result.py"].splitlines()
    at = lines.index("    def last_agent(self) -> str:")
    assert lines[at - 1] == "    @property"
    assert lines[lines.index("    def usage(self) -> int:") - 1] == "    @functools.cached_property"
    assert lines[lines.index("    def empty(cls) -> 'RunResult':") - 1] == "    @classmethod"
    stub = lines[: lines.index("# ...")] if "# ..." in lines else lines
    assert "    def to_input_list(self) -> list:" in stub
    assert "    @abc.abstractmethod" not in stub


def test_a_types_stub_header_keeps_the_decorator_that_makes_its_constructor(
    tmp_path: Path,
) -> None:
    # Under a bare `class Span:`, the fields do not say that `Span(name=..., kind=...)` builds
    # one; `@dataclass` does. Other class decorators (`@trace_class`) stay out.
    spans = (
        "from dataclasses import dataclass\n\n\n"
        "@trace_class\n@dataclass(frozen=True)\nclass Span:\n"
        "    name: str\n    kind: str = 'internal'\n\n"
        + "".join(f"    def step{i}(self) -> None:\n" + "        pass\n" * 4 for i in range(12))
    )
    index = _workspace(
        tmp_path,
        {"tracing/__init__.py": "", "tracing/spans.py": spans, "tracing/export.py": ""},
    )
    text = "from tracing.spans import Span\n\n\ndef export(span: Span) -> str:\n    return span."
    lines = _blocks_at_end(index, "tracing/export.py", text, 600)["tracing/spans.py"].splitlines()
    # The stub opens the block: the kept decorator, then the class's line.
    assert lines[:2] == ["@dataclass(frozen=True)", "class Span:"]


def test_a_go_receiver_brings_the_methods_its_struct_embeds(tmp_path: Path) -> None:
    # `s.` in a method of Server, which embeds *Base from another file of the package: Base's
    # methods are Server's too (Go promotes them), so they open the block, ranked by the words
    # near the cursor.
    steps = [f"func (b *Base) Step{i}(n int) int {{\n\treturn n + {i}\n}}\n\n" for i in range(30)]
    index = _workspace(
        tmp_path,
        {
            "go.mod": "module example.com/srv\n",
            "srv/base.go": (
                "package srv\n\ntype Base struct {\n\tname string\n}\n\n"
                + "".join(steps[:15])
                + "func (b *Base) LogMessage(msg string) {}\n\n"
                + "".join(steps[15:])
            ),
            "srv/server.go": "",
        },
    )
    text = (
        "package srv\n\ntype Server struct {\n\t*Base\n\tport int\n}\n\n"
        'func (s *Server) Run() {\n\tmessage := "starting"\n\ts.'
    )
    block = typed_blocks(index, "srv/server.go", text, 120).get("srv/base.go", "")
    assert block.startswith("type Base struct { ... }\n")
    assert "func (b *Base) LogMessage(msg string)\n" in block


def test_a_rust_receiver_lists_its_impl_methods_and_its_traits_defaults(tmp_path: Path) -> None:
    # `ledger.` where `ledger: &mut Ledger`: Rust methods live in `impl` blocks after the
    # struct, not in its body, and a trait implemented for it brings the trait's default
    # methods, which live in the trait's file. Private methods of the inherent impl are not
    # callable from another module.
    steps = [
        f"    pub fn step{i}(&self, n: u64) -> u64 {{\n        n + {i}\n    }}\n" for i in range(30)
    ]
    index = _workspace(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "shop"\n',
            "src/lib.rs": "pub mod audit;\npub mod ledger;\npub mod report;\n",
            "src/ledger.rs": (
                "pub struct Ledger {\n    total: u64,\n}\n\nimpl Ledger {\n"
                + "".join(steps[:15])
                + "    pub fn record_sale(&mut self, amount: u64) {\n        self.total += amount;\n"
                "    }\n\n    fn secret_sale(&self) {}\n"
                + "".join(steps[15:])
                + "}\n\nimpl crate::audit::Audit for Ledger {}\n"
            ),
            "src/audit.rs": (
                "pub trait Audit {\n    fn audit_sales(&self) -> Vec<String> {\n"
                "        Vec::new()\n    }\n}\n"
            ),
            "src/report.rs": "",
        },
    )
    text = (
        "use crate::ledger::Ledger;\n\npub fn report(ledger: &mut Ledger, sale: u64) {\n    ledger."
    )
    blocks = typed_blocks(index, "src/report.rs", text, 150)
    ledger = blocks.get("src/ledger.rs", "")
    assert "    pub fn record_sale(&mut self, amount: u64)" in ledger
    assert "secret_sale" not in ledger
    assert "fn audit_sales(&self) -> Vec<String>" in blocks.get("src/audit.rs", "")


def test_a_rust_modules_api_leaves_out_its_private_items(tmp_path: Path) -> None:
    # Without `pub`, a Rust item is private to its module: another file cannot call it.
    index = _workspace(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "shop"\n',
            "src/lib.rs": "pub mod store;\npub mod app;\n",
            "src/store.rs": (
                "pub fn open_store(path: &str) -> Store {\n    helper_step();\n    Store\n}\n\n"
                "pub(crate) fn close_store(store: Store) {}\n\nfn helper_step() {}\n\n"
                "pub struct Store;\n"
            ),
            "src/app.rs": "use crate::store;\n\npub fn run() {\n    let s = store::",
        },
    )
    block = block_of(index, "src/app.rs", "src/store.rs", budget=2000)
    assert "pub fn open_store(path: &str) -> Store" in block
    assert "pub(crate) fn close_store(store: Store)" in block
    assert "helper_step" not in block.replace("    helper_step();", "")


def test_after_self_in_a_rust_impl_the_block_lists_its_traits_default_methods(
    tmp_path: Path,
) -> None:
    # `self.` inside `impl Ledger`: Ledger implements Audit, whose default methods live in
    # another file, so they open the block.
    steps = [f"    fn step{i}(&self) -> u64 {{\n        {i}\n    }}\n" for i in range(30)]
    index = _workspace(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "shop"\n',
            "src/lib.rs": "pub mod audit;\npub mod ledger;\n",
            "src/audit.rs": (
                "pub trait Audit {\n"
                + "".join(steps[:15])
                + "    fn audit_sales(&self) -> Vec<String> {\n        Vec::new()\n    }\n"
                + "".join(steps[15:])
                + "}\n"
            ),
            "src/ledger.rs": "",
        },
    )
    text = (
        "use crate::audit::Audit;\n\npub struct Ledger {\n    total: u64,\n}\n\n"
        "impl Audit for Ledger {}\n\nimpl Ledger {\n    pub fn report(&self) -> usize {\n"
        "        let sales = self."
    )
    block = typed_blocks(index, "src/ledger.rs", text, 120).get("src/audit.rs", "")
    assert "    fn audit_sales(&self) -> Vec<String>" in block.splitlines()


def test_after_this_a_php_class_lists_the_methods_of_its_traits(tmp_path: Path) -> None:
    # `$this->` in a class that uses a trait of another file (`use Greets;` in its body, not
    # in its header): the trait's methods are the class's, so they open the block.
    steps = [
        f"    public function step{i}(int $n): int\n    {{\n        return $n;\n    }}\n"
        for i in range(30)
    ]
    index = _workspace(
        tmp_path,
        {
            "src/Greets.php": (
                "<?php\nnamespace App;\n\ntrait Greets\n{\n"
                + "".join(steps[:15])
                + "    public function greetPerson(string $name): string\n    {\n"
                "        return $name;\n    }\n" + "".join(steps[15:]) + "}\n"
            ),
            "src/Person.php": "",
        },
    )
    path = index.root / "src/Person.php"
    text = (
        "<?php\nnamespace App;\n\nuse App\\Greets;\n\nclass Person\n{\n    use Greets;\n\n"
        "    public function hello(string $person): string\n    {\n        return $this->;\n"
        "    }\n}\n"
    )
    offset = text.index("$this->") + len("$this->")
    blocks = typed_blocks(index, "src/Person.php", text, 120, offset)
    assert [a.name for a in class_ancestors(index, path, 11)] == ["Greets"]
    assert "function greetPerson(string $name): string" in blocks.get("src/Greets.php", "")


def test_a_csharp_partial_type_inherits_through_any_of_its_parts(tmp_path: Path) -> None:
    # Only the second part of Widget names its base: `widget.` still lists the base's members.
    steps = "".join(f"    public int Step{i}(int n) {{ return n; }}\n" for i in range(30))
    index = _workspace(
        tmp_path,
        {
            "src/BaseWidget.cs": (
                "namespace Ui;\n\npublic class BaseWidget\n{\n"
                + steps
                + "    public void RenderFrame(int depth) { }\n}\n"
            ),
            "src/Widget.A.cs": "namespace Ui;\n\npublic partial class Widget\n{\n    public int Size;\n}\n",
            "src/Widget.B.cs": "namespace Ui;\n\npublic partial class Widget : BaseWidget\n{\n}\n",
            "src/Screen.cs": "",
        },
    )
    text = (
        "namespace Ui;\n\nclass Screen\n{\n    void Draw(Widget widget, int frameDepth)\n"
        "    {\n        widget."
    )
    blocks = typed_blocks(index, "src/Screen.cs", text, 150)
    assert "public void RenderFrame(int depth)" in blocks.get("src/BaseWidget.cs", "")


def test_class_ancestors_follow_bases_through_files(tmp_path: Path) -> None:
    # OpenAI extends a local Middle, which extends Provider from base.py, which extends Root:
    # the ancestors in other files, nearest first; a base defined twice is the imported one.
    index = _workspace(
        tmp_path,
        {
            "llm/__init__.py": "",
            "llm/root.py": "class Root:\n    def ping(self) -> None:\n        pass\n",
            "llm/base.py": (
                "from llm.root import Root\n\n\nclass Provider(Root):\n"
                "    def run(self) -> None:\n        pass\n"
            ),
            "other/base.py": "class Provider:\n    def walk(self) -> None:\n        pass\n",
            "llm/openai.py": (
                "from llm.base import Provider\n\n\nclass Middle(Provider):\n    pass\n\n\n"
                "class OpenAI(Middle):\n    def go(self) -> None:\n        self.run()\n"
            ),
        },
    )
    path = index.root / "llm/openai.py"
    found = class_ancestors(index, path, 9)
    assert [(s.path, s.name) for s in found] == [
        ("llm/base.py", "Provider"),
        ("llm/root.py", "Root"),
    ]
    assert class_ancestors(index, path, 0) == []  # not inside a class
