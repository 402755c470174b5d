"""The quality benchmark's parts on a tiny repository with the fake backend: task extraction (no
leaked answer, only cross-file symbols, determinism, caps), the metrics, the ring's budget, and a
whole run of every mode."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest

from infilld.backends.fake import FakeBackend
from infilld.bench import metrics, quality
from infilld.bench.quality import _Session, bench_settings, markdown_table, run_mode, summarize
from infilld.bench.ring import Chunk, fill_ring, pick_chunks, recent_files, snippet_cost
from infilld.bench.similar import select_similar
from infilld.bench.tasks import candidate_tasks, extract_tasks
from infilld.config import Settings
from infilld.engine.context import select_context
from infilld.errors import InfilldError
from infilld.index import WorkspaceIndex

MODELS = '''\
"""Prices and totals."""


class Price:
    def __init__(self, amount: float, currency: str) -> None:
        self.amount = amount
        self.currency = currency


def total(prices: list[Price]) -> float:
    return sum(p.amount for p in prices)


def unused_helper(value: int) -> int:
    return value * 2


DEFAULT_CURRENCY = "EUR"
'''

REPORT = '''\
"""A report over prices."""

from shop.models import DEFAULT_CURRENCY, Price, total


def local_format(value: float) -> str:
    return f"{value:.2f}"


def build_report(amounts: list[float]) -> str:
    prices = [Price(a, DEFAULT_CURRENCY) for a in amounts]
    # Price objects are summed with total() below
    overall = total(prices)
    text = local_format(overall)
    other = unused_helper(3)
    return text + str(other)
'''

INVOICE_TS = """\
import { Price, total } from "./money";

export function invoice(amounts: number[]): string {
  const prices = amounts.map((a) => new Price(a));
  const sum = total(prices);
  return sum.toFixed(2);
}
"""

MONEY_TS = """\
export class Price {
  constructor(public amount: number) {}
}

export function total(prices: Price[]): number {
  return prices.reduce((s, p) => s + p.amount, 0);
}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "models.py").write_text(MODELS)
    (root / "shop" / "report.py").write_text(REPORT)
    (root / "web").mkdir()
    (root / "web" / "invoice.ts").write_text(INVOICE_TS)
    (root / "web" / "money.ts").write_text(MONEY_TS)
    return root


@pytest.fixture
def index(repo: Path, tmp_path: Path) -> Iterator[WorkspaceIndex]:
    idx = WorkspaceIndex(repo, cache_dir=tmp_path / "index-cache")
    idx.build()
    yield idx
    idx.close()


def _tasks_of(index: WorkspaceIndex, rel: str) -> list[tuple[int, str, str]]:
    path = index.abspath(rel)
    text = path.read_text()
    return [(t.line, t.symbol, t.truth) for t in candidate_tasks(index, path, text)]


# ------------------------------------------------------------------------------ task extraction


def test_tasks_use_only_symbols_imported_from_another_file(index: WorkspaceIndex) -> None:
    found = _tasks_of(index, "shop/report.py")
    assert found == [
        (10, "Price", "Price(a, DEFAULT_CURRENCY) for a in amounts]"),
        (12, "total", "total(prices)"),
    ]
    # Not chosen: the import line, `def` headers, the comment naming Price, the local function
    # `local_format`, and `unused_helper`, which is defined elsewhere but never imported here.


def test_typescript_tasks(index: WorkspaceIndex) -> None:
    found = _tasks_of(index, "web/invoice.ts")
    assert [(line, sym) for line, sym, _ in found] == [(3, "Price"), (4, "total")]
    assert found[1][2] == "total(prices);"


def _tasks_in(
    root: Path, cache: Path, files: dict[str, str], rel: str
) -> list[tuple[int, str, str]]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    idx = WorkspaceIndex(root, cache_dir=cache)
    idx.build()
    try:
        return _tasks_of(idx, rel)
    finally:
        idx.close()


def test_members_of_repository_types_and_modules(tmp_path: Path) -> None:
    """`x.name` in Python and TS is a task when `x` is an imported module of the repository, or
    when its name says it is one of the repository's types that the file names; a library's
    member of the same name (`cache.clear()`, `Object.keys`) is not."""
    files = {
        "shop/__init__.py": "",
        "shop/cart.py": (
            "class Cart:\n"
            "    def add_item(self, price: float) -> None:\n"
            "        self.items.append(price)\n\n"
            "    def clear(self) -> None:\n"
            "        self.items = []\n"
        ),
        "shop/util.py": "def slugify(name: str) -> str:\n    return name.lower()\n",
        "shop/checkout.py": (
            "from shop import util\n"
            "from shop.cart import Cart\n\n\n"
            "def checkout(shopping_cart: Cart, cache: dict[str, str]) -> str:\n"
            "    shopping_cart.add_item(9.5)\n"
            "    cache.clear()\n"
            "    return util.slugify('Checkout Done')\n"
        ),
        "web/ledger.ts": (
            "export class Ledger {\n"
            "  record(amount: number): void {}\n"
            "  keys(): string[] { return [] }\n"
            "}\n"
        ),
        "web/fmt.ts": "export function money(value: number): string { return `${value}` }\n",
        "web/pay.ts": (
            'import * as fmt from "./fmt";\n'
            'import { Ledger } from "./ledger";\n\n'
            "export function pay(ledger: Ledger, amounts: Record<string, number>): string {\n"
            "  ledger.record(amounts.total);\n"
            "  const names = Object.keys(amounts);\n"
            "  return fmt.money(names.length);\n"
            "}\n"
        ),
    }
    root, cache = tmp_path / "repo", tmp_path / "cache"
    assert _tasks_in(root, cache, files, "shop/checkout.py") == [
        (5, "add_item", "add_item(9.5)"),
        (7, "slugify", "slugify('Checkout Done')"),
    ]
    assert _tasks_in(root, cache, files, "web/pay.ts") == [
        (4, "record", "record(amounts.total);"),
        (6, "money", "money(names.length);"),
    ]


def test_inherited_members_reached_through_self_are_tasks(tmp_path: Path) -> None:
    """`self.name` / `this.name` is a task when the line's class inherits `name` from a class
    in another file (here through a local intermediate class); the class's own members and a
    member the class overrides are not."""
    files = {
        "llm/__init__.py": "",
        "llm/base.py": (
            "class Provider:\n"
            "    def _convert_response(self, raw: dict) -> str:\n"
            "        return str(raw)\n\n"
            "    def complete(self, prompt: str) -> str:\n"
            "        return prompt\n"
        ),
        "llm/openai.py": (
            "from llm.base import Provider\n\n\n"
            "class Middle(Provider):\n"
            "    pass\n\n\n"
            "class OpenAI(Middle):\n"
            "    def complete(self, prompt: str) -> str:\n"
            "        answer = self._convert_response({'text': prompt})\n"
            "        return self.complete_local(answer)\n\n"
            "    def complete_local(self, text: str) -> str:\n"
            "        return text.strip()\n"
        ),
        "web/base.ts": (
            "export class Emitter {\n  protected emitInner(name: string): void {}\n}\n"
        ),
        "web/sub.ts": (
            'import { Emitter } from "./base";\n\n'
            "export class Subscription extends Emitter {\n"
            "  close(): void {\n"
            "    this.emitInner(`closed`);\n"
            "  }\n"
            "}\n"
        ),
    }
    root, cache = tmp_path / "repo", tmp_path / "cache"
    assert _tasks_in(root, cache, files, "llm/openai.py") == [
        (9, "_convert_response", "_convert_response({'text': prompt})"),
    ]
    assert _tasks_in(root, cache, files, "web/sub.ts") == [(4, "emitInner", "emitInner(`closed`);")]


def test_members_a_named_type_inherits_are_tasks(tmp_path: Path) -> None:
    """`agent.tools` is a task when the file names `Agent`, `agent` reads as one, and `tools`
    belongs to a class of another file that Agent extends; a member of an unrelated class is
    not, nor one reached through a name that reads as no type the file names."""
    files = {
        "agents/__init__.py": "",
        "agents/base.py": (
            "class AgentBase:\n"
            "    tools: list[str]\n\n"
            "    def get_all_tools(self) -> list[str]:\n"
            "        return self.tools\n"
        ),
        "agents/other.py": "class Registry:\n    def lookup_entry(self) -> None:\n        pass\n",
        "agents/agent.py": (
            "from agents.base import AgentBase\n\n\nclass Agent(AgentBase):\n    name: str\n"
        ),
        "agents/run.py": (
            "from agents.agent import Agent\n\n\n"
            "def run(agent: Agent, helper: object) -> None:\n"
            "    found = agent.get_all_tools()\n"
            "    other = agent.lookup_entry()\n"
            "    again = helper.get_all_tools()\n"
        ),
    }
    root, cache = tmp_path / "repo", tmp_path / "cache"
    assert _tasks_in(root, cache, files, "agents/run.py") == [
        (4, "get_all_tools", "get_all_tools()"),
    ]


def test_commonjs_requires_name_their_bindings(tmp_path: Path) -> None:
    # `const { total } = require("./money")` imports total by name, as an ES import would; the
    # definitions it reaches include `exports.round = function`.
    files = {
        "lib/money.js": (
            "function total(v) {\n  return v.reduce((a, b) => a + b, 0);\n}\n"
            "exports.round = function (x) {\n  return Math.round(x);\n};\n"
            "module.exports.total = total;\n"
        ),
        "index.js": (
            "const { total, round } = require('./lib/money');\n\n"
            "function report(v) {\n  const sum = total(v);\n  return round(sum);\n}\n"
        ),
    }
    tasks = _tasks_in(tmp_path / "cjs", tmp_path / "cache", files, "index.js")
    assert tasks == [(3, "total", "total(v);"), (4, "round", "round(sum);")]


def test_go_tasks_follow_package_imports_and_the_package_itself(tmp_path: Path) -> None:
    files = {
        "go.mod": "module example.com/shop\n\ngo 1.22\n",
        "money/money.go": (
            "package money\n\ntype Price struct {\n\tAmount float64\n}\n\n"
            "func Total(prices []Price) float64 {\n\treturn 0\n}\n"
        ),
        "money/format.go": (
            "package money\n\nfunc Format(prices []Price) string {\n"
            "\tsum := Total(prices)\n\treturn fmt.Sprint(sum)\n}\n"
        ),
        "report/report.go": (
            'package report\n\nimport "example.com/shop/money"\n\n'
            "func Build(amounts []float64) string {\n"
            "\tprices := []money.Price{}\n"
            "\tfor _, a := range amounts {\n"
            "\t\tprices = append(prices, money.Price{Amount: a})\n"
            "\t}\n"
            "\treturn money.Format(prices)\n"
            "}\n"
        ),
        "other/other.go": "package other\n\nfunc Sum() float64 {\n\treturn Total(nil) + 1\n}\n",
    }
    root, cache = tmp_path / "go", tmp_path / "cache"
    # Another package's names come after the package's name, where an editor completes them.
    assert _tasks_in(root, cache, files, "report/report.go") == [
        (5, "Price", "Price{}"),
        (7, "Price", "Price{Amount: a})"),
        (9, "Format", "Format(prices)"),
    ]
    # The package's own other files need no import.
    assert _tasks_in(root, cache, files, "money/format.go") == [(3, "Total", "Total(prices)")]
    # A name from a package the file does not import is something else.
    assert _tasks_in(root, cache, files, "other/other.go") == []


def test_java_tasks_skip_locals_named_like_another_class_member(tmp_path: Path) -> None:
    files = {
        "src/com/shop/Price.java": (
            "package com.shop;\n\npublic class Price {\n"
            "    public double amount;\n"
            "    public Price(double amount) { this.amount = amount; }\n"
            "    public static double total(Price[] prices) { return 0; }\n"
            "}\n"
        ),
        "src/com/shop/report/Report.java": (
            "package com.shop.report;\n\nimport com.shop.Price;\n\nclass Report {\n"
            "    String build(double[] amounts) {\n"
            "        Price first = new Price(amounts[0]);\n"
            "        double total = first.amount;\n"
            "        double all = Price.total(new Price[] {first});\n"
            "        total = total != all ? all : total;\n"
            "        return String.valueOf(total + all);\n"
            "    }\n"
            "}\n"
        ),
    }
    found = _tasks_in(
        tmp_path / "java", tmp_path / "cache", files, "src/com/shop/report/Report.java"
    )
    # `total` on lines 7, 9 and 10 is a local variable, not Price.total (a method, never called
    # there: `!=` is no Rust macro call); `amount` after `first.` is Price's field.
    assert found == [
        (6, "Price", "Price first = new Price(amounts[0]);"),
        (7, "amount", "amount;"),
        (8, "Price", "Price.total(new Price[] {first});"),
    ]


def test_csharp_tasks_follow_usings_and_the_namespace(tmp_path: Path) -> None:
    files = {
        "Money/Price.cs": (
            "namespace Shop.Money\n{\n    public class Price\n    {\n"
            "        public decimal Amount;\n"
            "        public static decimal Total(Price[] prices) => 0;\n    }\n}\n"
        ),
        "Money/Format.cs": (
            "namespace Shop.Money;\n\npublic static class Format\n{\n"
            "    public static string Show(Price[] prices)\n    {\n"
            "        return Price.Total(prices).ToString();\n    }\n}\n"
        ),
        "Money/Basket.cs": (
            "namespace Shop.Money;\n\npublic class Basket\n{\n    public int Count { get; }\n}\n"
        ),
        "Report/Report.cs": (
            "using System;\nusing Shop.Money;\n\nnamespace Shop.Report;\n\nclass Report\n{\n"
            "    string Build(Price[] prices, List<string> names)\n    {\n"
            "        var first = prices[0].Amount;\n"
            "        var many = names.Count > 1;\n"
            "        return Format.Show(prices) + first;\n    }\n}\n"
        ),
        "Other/Other.cs": (
            "namespace Other;\n\nclass Other\n{\n"
            "    string Build() { return Format.Show(null); }\n}\n"
        ),
    }
    root, cache = tmp_path / "cs", tmp_path / "cache"
    # `using Shop.Money` brings the namespace's files, wherever they are. Basket.Count is
    # imported too, but this file never names a Basket: `names.Count` is the list's.
    assert _tasks_in(root, cache, files, "Report/Report.cs") == [
        (9, "Amount", "Amount;"),
        (11, "Format", "Format.Show(prices) + first;"),
    ]
    # The namespace's other files need no using.
    assert _tasks_in(root, cache, files, "Money/Format.cs") == [
        (6, "Price", "Price.Total(prices).ToString();")
    ]
    # Without the using, Format is some other type.
    assert _tasks_in(root, cache, files, "Other/Other.cs") == []


def test_c_rust_and_php_tasks_follow_includes_modules_and_use(tmp_path: Path) -> None:
    c_files = {
        "money.h": "#ifndef MONEY_H\n#define MONEY_H\ndouble money_total(const double *v, int n);\n#endif\n",
        "money.c": '#include "money.h"\ndouble money_total(const double *v, int n) { return v[0]; }\n',
        "report.c": (
            '#include "money.h"\n\nvoid report(void) {\n    double v[2] = {1.0, 2.0};\n'
            "    double overall = money_total(v, 2);\n}\n"
        ),
    }
    assert _tasks_in(tmp_path / "c", tmp_path / "c-cache", c_files, "report.c") == [
        (4, "money_total", "money_total(v, 2);")
    ]
    rust_files = {
        "Cargo.toml": '[package]\nname = "shop"\n',
        "src/lib.rs": "mod money;\nmod report;\n",
        "src/money.rs": (
            "pub struct Price {\n    pub amount: f64,\n}\n\n"
            "pub fn total(prices: &[Price]) -> f64 {\n    0.0\n}\n"
        ),
        "src/report.rs": (
            "use crate::money::{total, Price};\n\npub fn build(amount: f64) -> f64 {\n"
            "    let prices = vec![Price { amount }];\n"
            "    let first = Price {\n        amount: amount,\n    };\n"
            "    total(&prices) + first.amount\n}\n"
        ),
    }
    # `amount` as a field's label or shorthand is not the symbol.
    assert _tasks_in(tmp_path / "rs", tmp_path / "rs-cache", rust_files, "src/report.rs") == [
        (3, "Price", "Price { amount }];"),
        (4, "Price", "Price {"),
        (7, "total", "total(&prices) + first.amount"),
    ]
    php_files = {
        "src/Money/Price.php": (
            "<?php\nnamespace App\\Money;\n\nclass Price\n{\n"
            "    public function __construct(public float $amount) {}\n}\n"
        ),
        "src/Report.php": (
            "<?php\nnamespace App;\n\nuse App\\Money\\Price;\n\n"
            "function report(float $a): Price\n{\n    return new Price(amount: $a);\n}\n"
        ),
    }
    assert _tasks_in(tmp_path / "php", tmp_path / "php-cache", php_files, "src/Report.php") == [
        (7, "Price", "Price(amount: $a);")
    ]


def test_buffer_does_not_leak_the_answer(index: WorkspaceIndex) -> None:
    path = index.abspath("shop/report.py")
    text = path.read_text()
    tasks = candidate_tasks(index, path, text)
    assert tasks
    lines = text.split("\n")
    for task in tasks:
        full_line = lines[task.line]
        assert full_line.endswith(task.truth)
        assert task.truth not in task.buffer  # unique lines in this file: no copy left anywhere
        assert task.buffer[: task.offset] == text[: task.offset]
        # The cursor's line ends at the cursor; the next line follows directly.
        assert task.buffer[task.offset] == "\n"
        assert task.buffer.split("\n")[task.line] == full_line[: task.column]
        assert len(task.buffer.split("\n")) == len(lines)


def test_sampling_is_deterministic_and_capped(tmp_path: Path) -> None:
    root = tmp_path / "big"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "defs.py").write_text(
        "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(30))
    )
    names = ", ".join(f"helper_{i}" for i in range(30))
    for f in range(4):
        body = "".join(f"    result_{i} = helper_{i}(value) + {f}\n" for i in range(30))
        (root / "pkg" / f"use_{f}.py").write_text(
            f"from pkg.defs import {names}\n\n\ndef run(value):\n{body}    return value\n"
        )
    idx = WorkspaceIndex(root, cache_dir=tmp_path / "cache")
    idx.build()
    try:
        first = extract_tasks(idx, per_repo=10, per_file=5, seed=1)
        again = extract_tasks(idx, per_repo=10, per_file=5, seed=1)
        other = extract_tasks(idx, per_repo=10, per_file=5, seed=2)
        assert first == again
        assert len(first) == 10
        assert [(t.path, t.line) for t in first] != [(t.path, t.line) for t in other]
        per_file: dict[str, int] = {}
        for t in first:
            per_file[t.path] = per_file.get(t.path, 0) + 1
        assert max(per_file.values()) <= 5
        assert first == sorted(first, key=lambda t: (t.path, t.line))
        assert all(t.defined_in == ("pkg/defs.py",) for t in first)
    finally:
        idx.close()


# ------------------------------------------------------------------------------ metrics


def test_exact_match_uses_the_trimmed_first_line() -> None:
    assert metrics.score("total(prices)  \nmore code", "total(prices)").exact
    assert metrics.score("  total(prices)", "total(prices)").exact
    assert not metrics.score("total(price)", "total(prices)").exact
    assert not metrics.score("", "total(prices)").exact


def test_edit_similarity() -> None:
    assert metrics.edit_similarity("abc", "abc") == 1.0
    assert metrics.edit_similarity("", "") == 1.0
    assert metrics.edit_similarity("abc", "xyz") == 0.0
    assert metrics.edit_similarity("abcd", "abce") == pytest.approx(0.75)


def test_identifier_scores() -> None:
    s = metrics.score("total(items) if ok", "total(prices)")
    # predicted identifiers: total, items, ok ("if" is a keyword); truth: total, prices
    assert s.identifier_f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert s.first_identifier
    s = metrics.score("sum(prices)", "total(prices)")
    assert s.identifier_f1 == pytest.approx(0.5)
    assert not s.first_identifier
    assert metrics.identifiers("return new Price(a)") == ["Price", "a"]
    assert metrics.score("", "").identifier_f1 == 1.0
    assert metrics.score("x", "").identifier_f1 == 0.0


# ------------------------------------------------------------------------------ the ring


def _words(text: str) -> int:
    return len(text.split())


def test_ring_fills_up_to_the_budget_newest_last() -> None:
    chunks = [
        Chunk("a.py", 0, "\n".join(f"alpha line {i}" for i in range(10))),
        Chunk("b.py", 0, "\n".join(f"beta line {i}" for i in range(10))),
        Chunk("c.py", 0, "\n".join(f"gamma line {i}" for i in range(10))),
    ]
    whole = snippet_cost("a.py", chunks[0].text, _words)
    budget = whole + 10
    taken = fill_ring(chunks, budget, _words)
    assert sum(snippet_cost(c.path, c.text, _words) for c in taken) <= budget
    # a.py is the newest and fits whole; b.py is cut to the lines that fit; c.py never comes.
    assert [c.path for c in taken] == ["b.py", "a.py"]
    assert taken[1].text == chunks[0].text
    assert taken[0].text.count("\n") < chunks[1].text.count("\n")
    assert fill_ring(chunks, 0, _words) == []
    everything = fill_ring(chunks, 10_000, _words)
    assert [c.path for c in everything] == ["c.py", "b.py", "a.py"]


def test_recent_files_exclude_the_current_file(index: WorkspaceIndex) -> None:
    files = recent_files(index, "shop/report.py", seed=0)
    assert "shop/report.py" not in files
    assert set(files) == {"shop/__init__.py", "shop/models.py", "web/invoice.ts", "web/money.ts"}
    assert files == recent_files(index, "shop/report.py", seed=0)
    chunks = pick_chunks(index, "shop/report.py", files, seed=0)
    assert {c.path for c in chunks} <= set(files)
    assert all(c.text.strip() for c in chunks)


# ------------------------------------------------------------------------------ whole runs


def _run(index: WorkspaceIndex, repo: Path, mode: str, budget: int) -> list[quality.TaskResult]:
    backend = FakeBackend()
    try:
        settings = bench_settings(model="fake", backend="fake", budget=budget, threads=None)
        tasks = extract_tasks(index, per_repo=10, per_file=3, seed=0)
        session = _Session(index, seed=0)
        return asyncio.run(
            run_mode("tiny", repo, index, tasks, mode, backend, settings, session, None)
        )
    finally:
        backend.close()


@pytest.mark.parametrize("mode", ["none", "ring", "infilld", "infilld-open", "similar", "oracle"])
def test_every_mode_runs_within_the_budget(index: WorkspaceIndex, repo: Path, mode: str) -> None:
    budget = 60
    results = _run(index, repo, mode, budget)
    assert len(results) == 4
    for r in results:
        assert r.mode == mode
        assert r.prompt_tokens > 0
        assert r.context_tokens <= budget
        if mode == "none":
            assert r.context_tokens == 0
    if mode == "ring":
        assert any(r.context_tokens > 0 for r in results)
    table = markdown_table([summarize("tiny", mode, results)])
    assert f"| tiny | {mode} | 4 |" in table


def test_similar_code_comes_from_other_files_like_the_lines_above(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    like = "def handler(request, session):\n    user = session.load(request.user_id)\n"
    (root / "app/users.py").write_text("import os\n" * 30 + like + "    return user\n")
    (root / "app/other.py").write_text("x = 42\n")  # nothing in common
    (root / "web.ts").write_text("const session = load(request.user_id);\n")  # another family
    index = WorkspaceIndex(root, cache_dir=tmp_path / "cache")
    index.build()
    try:
        text = like + "    "
        path = root / "app/orders.py"
        chosen = select_similar(index, path, text, len(text), 200, _words)
        assert [c.path for c in chosen] == ["app/users.py"]
        assert "session.load(request.user_id)" in chosen[0].text
        assert sum(snippet_cost(c.path, c.text, _words) for c in chosen) <= 200
        assert select_similar(index, path, text, len(text), 5, _words) == []  # nothing fits
    finally:
        index.close()


def test_the_oracle_shows_the_definitions_the_answer_uses(index: WorkspaceIndex) -> None:
    session = _Session(index, seed=0)
    provider = quality.make_provider("oracle", session, [0])
    assert provider is not None
    tasks = extract_tasks(index, per_repo=10, per_file=3, seed=0)
    task = next(t for t in tasks if t.symbol == "total" and t.path.endswith(".py"))
    session.task = task
    path = index.abspath(task.path)
    blocks = provider(path, task.buffer, task.offset, 200, _words)
    text = "\n".join(b.text for b in blocks)
    assert "def total(" in text  # the task's symbol, from the Python file only
    assert "function total" not in text
    assert "unused_helper" not in text  # nothing the answer does not name
    # Without a task (no answer to read) the oracle shows nothing.
    session.task = None
    assert provider(path, task.buffer, task.offset, 200, _words) == []


def test_infilld_open_selects_once_per_file_as_the_server_does(
    index: WorkspaceIndex, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, int, int]] = []
    real: Callable[..., object] = select_context

    def spy(idx: WorkspaceIndex, path: Path, text: str, offset: int, **kw: object) -> object:
        calls.append((str(idx.relpath(path)), offset, len(text)))
        return real(idx, path, text, offset, **kw)

    monkeypatch.setattr(quality, "select_context", spy)
    results = _run(index, repo, "infilld-open", 200)
    files = {r.path for r in results}
    assert len(results) > len(files)  # some file has several tasks, so reuse is tested
    assert sorted(c[0] for c in calls) == sorted(files)  # one selection per file
    assert all(offset == length for _rel, offset, length in calls)  # at the end, as on open


def test_the_index_sees_the_buffer_not_the_disk(
    index: WorkspaceIndex, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []
    real: Callable[..., object] = select_context

    def spy(idx: WorkspaceIndex, path: Path, text: str, offset: int, **kw: object) -> object:
        seen.append((idx.read_text(path) or "", text))
        return real(idx, path, text, offset, **kw)

    monkeypatch.setattr(quality, "select_context", spy)
    results = _run(index, repo, "infilld", 200)
    assert len(seen) == len(results) == 4
    for (index_text, buffer), r in zip(seen, results, strict=True):
        assert index_text == buffer
        assert r.truth not in buffer
    # Afterwards the disk is the truth again.
    report = index.abspath("shop/report.py")
    assert index.read_text(report) == report.read_text()


# ------------------------------------------------------------------------------ the data set


def test_repository_list_is_new_and_split() -> None:
    from infilld.bench.repos import load_repos

    repos = load_repos()
    assert all(r.first_release >= "2025-01" for r in repos if r.split != "other")
    heldout = {(r.registry, r.language) for r in repos if r.split == "heldout"}
    assert ("pypi", "python") in heldout
    assert ("npm", "typescript") in heldout
    dev = [r for r in repos if r.split == "dev"]
    assert {r.language for r in dev} == {"python", "typescript"}
    assert len({r.slug for r in repos}) == len(repos)


def test_all_is_the_two_python_and_typescript_sets() -> None:
    from infilld.bench.repos import load_repos

    repos = load_repos()
    # --set all and --fetch alone stay to PyPI and npm: `other` needs apt-get.
    assert {r.split for r in quality.selected_repos(repos, "all")} == {"dev", "heldout"}
    assert quality.selected_repos(repos, None) == quality.selected_repos(repos, "all")
    other = quality.selected_repos(repos, "other")
    assert "debian" in {r.registry for r in other}
    assert {r.language for r in other} >= {"go", "rust", "php", "java", "csharp", "cpp"}


def result(
    mode: str, exact: bool, latency: float = 10, member: bool = False, line: int = 1
) -> quality.TaskResult:
    return quality.TaskResult(
        repo="r", mode=mode, path="a.py", line=line, symbol="f", truth="f()",
        suggestion="f()" if exact else "g()", exact=exact, edit_similarity=1.0 if exact else 0.5,
        identifier_f1=1.0 if exact else 0.0, first_identifier=exact, latency_ms=latency,
        prompt_tokens=10, evaluated_tokens=5, generated_tokens=2, context_tokens=0,
        stop_reason="stop_token", member=member,
    )  # fmt: skip


def test_summaries_and_ratios() -> None:
    none = summarize("r", "none", [result("none", True, 10), result("none", False, 30)])
    assert none.exact == 0.5
    assert none.edit_similarity == 0.75
    assert none.latency_ms_median == 20
    ctx = summarize("r", "infilld", [result("infilld", True, 10), result("infilld", True, 50)])
    assert quality.ratios([none, ctx], "r") == "r: infilld/none exact = 2.00x"

    # A run with member tasks (`x.name`) also reports them, and the rest, on their own.
    assert quality.split_by_kind([result("none", True, 10)], ["none"]) == []
    mixed = [result("none", True, 10), result("none", False, 10, member=True)]
    mixed += [result("infilld", True, 10), result("infilld", True, 10, member=True)]
    rows = quality.split_by_kind(mixed, ["none", "infilld"])
    assert [(r.repo, r.mode, r.tasks, r.exact) for r in rows] == [
        (quality.NAMES_ROW, "none", 1, 1.0),
        (quality.NAMES_ROW, "infilld", 1, 1.0),
        (quality.MEMBERS_ROW, "none", 1, 0.0),
        (quality.MEMBERS_ROW, "infilld", 1, 1.0),
    ]


def test_a_pooled_report_counts_each_task_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two seeds drew line 2 both times; pooled, it counts once.
    seed0 = [result("none", False, line=1), result("none", True, line=2)]
    seed0 += [result("infilld", True, line=1), result("infilld", True, line=2)]
    seed1 = [result("none", True, line=2), result("none", True, line=3)]
    seed1 += [result("infilld", True, line=2), result("infilld", False, line=3)]
    files = []
    for i, results in enumerate((seed0, seed1)):
        path = tmp_path / f"s{i}.json"
        path.write_text(
            json.dumps({"command": "c", "summaries": [], "results": msgspec.to_builtins(results)})
        )
        files.append(str(path))
    assert len(quality.pooled([*seed0, *seed1])) == 6
    assert quality.won_lost([*seed0, *seed1], "infilld", "none") == (1, 1)
    assert quality.main(["--report", *files, "--pool"]) == 0
    out = capsys.readouterr().out
    assert "| r | none | 3 | 66.7% |" in out
    assert "| r | infilld | 3 | 66.7% |" in out
    assert "- infilld against none: won 1, lost 1" in out
    with pytest.raises(InfilldError, match="--pool goes with --report"):
        quality.main(["--repo", str(tmp_path), "--pool"])


def test_a_repository_without_tasks_is_reported_not_scored(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "unlinked"
    empty.mkdir()
    # Svc's User is not App's: Svc neither has `using App;` nor lives in namespace App.
    (empty / "User.cs").write_text("namespace App { public class User { } }\n")
    svc = "namespace Other\n{\n    class Svc\n    {\n        object Make()\n        {\n"
    svc += "            return new User();\n        }\n    }\n}\n"
    (empty / "Svc.cs").write_text(svc)
    common = ["--tasks", "3", "--backend", "fake", "--modes", "none", "--quiet"]
    with pytest.raises(InfilldError, match="no tasks in unlinked: no line uses a symbol"):
        quality.main(["--repo", str(empty), *common])
    # Beside a repository with tasks, the empty one is named on stderr and left out of the
    # table, instead of a row of zeros that would read as 0% exact.
    assert quality.main(["--repo", str(repo), "--repo", str(empty), *common]) == 0
    out, err = capsys.readouterr()
    assert "unlinked: no line uses a symbol" in err
    assert "| repo | none |" in out
    assert "| unlinked |" not in out and "| all |" not in out


def test_two_repo_folders_of_the_same_name_keep_apart_in_the_tables(tmp_path: Path) -> None:
    for top in ("tanstack-ai", "tanstack-pacer", "plain"):
        (tmp_path / top / "package" / "src").mkdir(parents=True)
    args = quality.build_parser().parse_args(
        [
            f"--repo={tmp_path / top / 'package' / 'src'}"
            for top in ("tanstack-ai", "tanstack-pacer")
        ]
        + [f"--repo={tmp_path / 'plain'}"]
    )
    names = [r.name for r in quality._repos_from_args(args)]
    assert names == ["tanstack-ai/package/src", "tanstack-pacer/package/src", "plain"]
    # npm tarballs unpack to `package/`: the name goes up to the folder that names the project
    (tmp_path / "zod-3.24.1" / "package").mkdir(parents=True)
    args = quality.build_parser().parse_args([f"--repo={tmp_path / 'zod-3.24.1' / 'package'}"])
    assert [r.name for r in quality._repos_from_args(args)] == ["zod-3.24.1/package"]


def test_the_default_budget_is_the_one_the_server_ships() -> None:
    args = quality.build_parser().parse_args(["--set", "dev"])
    assert args.budget == Settings().context.budget_tokens
    assert quality.build_parser().parse_args(["--budget", "768"]).budget == 768
