"""engine/fix.py without a model: region, prompt, answer parsing, mapping, minimal diff, syntax and
version checks, the engine on the fake backend, and the bug-fix task set itself."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from infilld.backends.fake import FakeBackend
from infilld.bench.fix import default_tasks_dir, load_tasks, validate
from infilld.engine.fix import (
    Edit,
    FixEngine,
    FixRefused,
    FixTask,
    Problem,
    apply_edits,
    check_syntax,
    check_version,
    converged,
    diff_edits,
    extract_code,
    find_region,
    finish_fix,
    map_answer,
    plan_fix,
)
from infilld.engine.prompt import prompt_text

SRC = (
    "import math\n"
    "\n"
    "\n"
    "class Cart:\n"
    "    def __init__(self):\n"
    "        self.items = []\n"
    "\n"
    "    def add(self, item, qty):\n"
    "        self.itmes.append((item, qty))\n"
    "        return len(self.items)\n"
    "\n"
    "\n"
    "def area(r):\n"
    "    return math.pi * r * r\n"
)
METHOD = (
    "    def add(self, item, qty):\n"
    "        self.itmes.append((item, qty))\n"
    "        return len(self.items)\n"
)
FIXED_METHOD = METHOD.replace("itmes", "items")


def task(text: str = SRC, needle: str = "itmes", kind: str = "fix", **kw: object) -> FixTask:
    at = text.index(needle)
    return FixTask(
        kind=kind,  # type: ignore[arg-type]
        text=text,
        start=at,
        end=at + len(needle),
        language_id=str(kw.pop("language_id", "python")),
        path=str(kw.pop("path", "cart.py")),
        version=3,
        problem=Problem('Cannot access attribute "itmes"', "reportAttributeAccessIssue", "Pyright"),
    )


# -- region and prompt ---------------------------------------------------------------------------
def test_region_is_the_enclosing_method() -> None:
    region = find_region(task())
    assert region.text == METHOD
    assert region.first_line == 7 and region.scope_name == "add"
    assert SRC[region.start : region.end] == METHOD


def test_region_without_grammar_uses_top_level_statements() -> None:
    text = "x = 1\n\nfunction f() {\n  let y = 2;\n  return y + z;\n}\n\nlet q = 3;\n"
    region = find_region(task(text, "z;", language_id="unknownlang", path="a.unknown"))
    assert region.text == "function f() {\n  let y = 2;\n  return y + z;\n}\n"


def test_region_keeps_the_doc_comment_above_a_function() -> None:
    text = '"use strict";\n\n/** True for 18 or older. */\nfunction isAdult(age) {\n  return age > 18;\n}\n'
    region = find_region(task(text, "age > 18", language_id="javascript", path="a.js"))
    assert region.text.startswith("/** True for 18 or older. */\nfunction isAdult")


def test_large_function_is_cut_to_a_window_around_the_target() -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(200))
    text = f"def big():\n{body}    return x100 + y\n"
    region = find_region(task(text, "x100 + y"), max_lines=40)
    assert region.text.count("\n") <= 41
    assert "return x100 + y" in region.text and "def big" not in region.text


def test_prompt_is_qwen_chat_with_problem_and_prefilled_fence() -> None:
    plan = plan_fix(task())
    text = prompt_text(plan.prompt)
    assert text.startswith("<|im_start|>system\n")
    assert text.endswith("<|im_start|>assistant\n```python\n")
    assert METHOD.rstrip() in text
    assert 'Cannot access attribute "itmes"' in text and "Pyright" in text
    assert plan.prefill == "```python\n"
    assert plan.target_lines == (1, 1)


def test_prompt_lists_same_file_definitions_the_region_uses() -> None:
    text = "def clamp(value, low, high):\n    return max(low, min(value, high))\n\n\ndef pct(p):\n    return clamp(0, p, 100)\n"
    plan = plan_fix(task(text, "clamp(0, p, 100)"))
    assert plan.context and plan.context[0].startswith("def clamp(value, low, high):")
    assert "Definitions used by the code" in prompt_text(plan.prompt)


def test_huge_selection_is_refused() -> None:
    text = "".join(f"x{i} = {i}\n" for i in range(500))
    t = FixTask(kind="fix_selection", text=text, start=0, end=len(text), language_id="python")
    with pytest.raises(FixRefused) as info:
        plan_fix(t)
    assert info.value.kind == "too_large" and "at most" in str(info.value)


def test_out_of_range_offsets_are_clamped() -> None:
    t = FixTask(kind="fix", text=SRC, start=len(SRC) + 50, end=len(SRC) + 90, language_id="python")
    plan = plan_fix(t)
    assert plan.region.end == len(SRC)


# -- parsing answers -----------------------------------------------------------------------------
def test_extract_code_from_fences_prose_and_partial_answers() -> None:
    assert extract_code("Here:\n```python\nx = 1\n```\nDone.", "python") == "x = 1\n"
    # An unterminated block (the model ran out of tokens) runs to the end.
    assert extract_code("```python\nx = 1\ny = 2", "python") == "x = 1\ny = 2"
    # Several blocks: the one most like the region wins.
    two = "```python\nprint('example')\n```\n```python\ndef f(a):\n    return a + 1\n```"
    assert extract_code(two, "python", "def f(a):\n    return a\n").startswith("def f(a):")
    assert extract_code("x = compute(1)\n", "python") == "x = compute(1)\n"  # unfenced code
    assert extract_code("```python\nx = 1\n```<|im_end|>junk", "python") == "x = 1\n"


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("The code looks correct to me and does not need any change.", "prose"),
        ("```python\nI think the code is already correct as it is.\n```", "prose"),
        ("```javascript\nfunction f() { return 1; }\n```", "wrong_language"),
        ("```python\n```", "no_code"),
    ],
)
def test_extract_code_refuses(answer: str, kind: str) -> None:
    with pytest.raises(FixRefused) as info:
        extract_code(answer, "python")
    assert info.value.kind == kind


def test_map_answer_exact_dedented_partial_and_extra() -> None:
    assert map_answer(METHOD, FIXED_METHOD) == FIXED_METHOD
    # The model dedented the method: indentation is rebased.
    dedented = "def add(self, item, qty):\n    self.items.append((item, qty))\n    return len(self.items)\n"
    assert map_answer(METHOD, dedented) == FIXED_METHOD
    # Only the fixed line and its neighbour (partial answer): the rest stays.
    partial = "        self.items.append((item, qty))\n        return len(self.items)\n"
    assert map_answer(METHOD, partial) == FIXED_METHOD
    # More than asked: surrounding class code before, usage example after.
    more = "class Cart:\n" + FIXED_METHOD + "\ncart = Cart()\nprint(cart.add('x', 1))\n"
    assert map_answer(METHOD, more) == FIXED_METHOD


def test_map_answer_keeps_new_lines_inside_the_function() -> None:
    region = "def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n"
    answer = region + "    return t\n\n\nprint(total([1, 2]))\n"
    assert map_answer(region, answer) == region + "    return t\n"


def test_map_answer_restricts_rewrites() -> None:
    region = "def f(a, b):\n    return a + b\n"
    doc = 'def f(a, b):\n    """Add."""\n    return a - b\n'
    # A docstring action never changes code, even when the model does.
    assert (
        map_answer(region, doc, "docstring") == 'def f(a, b):\n    """Add."""\n    return a + b\n'
    )
    hints = "def f(a: int, b: int) -> int:\n    return a * b\n"
    assert (
        map_answer(region, hints, "type_hints")
        == "def f(a: int, b: int) -> int:\n    return a + b\n"
    )


def test_map_answer_keeps_crlf_and_missing_final_newline() -> None:
    region = "def f():\r\n    return 1"
    assert map_answer(region, "def f():\n    return 2\n") == "def f():\r\n    return 2"


# -- edits and checks ----------------------------------------------------------------------------
def test_diff_edits_touch_only_changed_lines() -> None:
    t = task()
    plan = plan_fix(t)
    edits = diff_edits(plan.region, FIXED_METHOD)
    assert edits == [
        Edit(
            SRC.index("        self.itmes"),
            SRC.index("        return len"),
            "        self.items.append((item, qty))\n",
        )
    ]
    assert apply_edits(SRC, edits) == SRC.replace("itmes", "items")


def test_finish_fix_refuses_no_change_and_broken_syntax() -> None:
    t = task()
    plan = plan_fix(t)
    with pytest.raises(FixRefused) as info:
        finish_fix(t, plan, f"```python\n{METHOD}```")
    assert info.value.kind == "no_change"
    broken = METHOD.replace("return len(self.items)", "return len(self.items")
    with pytest.raises(FixRefused) as info:
        finish_fix(t, plan, f"```python\n{broken.replace('itmes', 'items')}```")
    assert info.value.kind == "syntax"
    edits, new_region = finish_fix(t, plan, f"```python\n{FIXED_METHOD}```")
    assert new_region == FIXED_METHOD and len(edits) == 1


def test_check_syntax_tolerates_already_broken_files() -> None:
    before = "def f(:\n    return 1\n"
    t = FixTask(kind="fix", text=before, start=0, end=1, language_id="python", path="a.py")
    check_syntax(t, "def f():\n    return 1\n")  # better: fine
    with pytest.raises(FixRefused):
        check_syntax(t, "def f(:\n    return (1\n  ]]\n")
    js = FixTask(
        kind="fix", text="function f() { return 1; }\n", start=0, end=1, language_id="javascript"
    )
    with pytest.raises(FixRefused):
        check_syntax(js, "function f() { return 1;\n")


def test_renaming_the_enclosing_function_is_undone() -> None:
    text = "async def get(i):\n    return i\n\n\nasync def show(i):\n    user = get(i)\n    return user\n"
    t = task(text, "get(i)\n    return user")
    plan = plan_fix(t)
    answer = "```python\nasync def get(i):\n    user = await get(i)\n    return user\n```"
    _edits, new_region = finish_fix(t, plan, answer)
    assert new_region == "async def show(i):\n    user = await get(i)\n    return user\n"


def test_check_version() -> None:
    check_version(4, 4)
    check_version(None, 9)
    with pytest.raises(FixRefused) as info:
        check_version(4, 5)
    assert info.value.kind == "stale" and "changed" in str(info.value)


def test_converged_stops_after_copied_lines_past_the_change() -> None:
    region = "".join(f"    line{i}()\n" for i in range(12))
    changed = region.replace("line2()", "line2(fixed)")
    upto = "".join(changed.splitlines(True)[:7])  # change on line 2, then lines 3-6 copied
    assert converged(region, upto, target_last=2)
    assert not converged(region, "".join(changed.splitlines(True)[:5]), target_last=2)
    assert not converged(region, "".join(region.splitlines(True)[:8]), target_last=2)


# -- the engine on the fake backend ------------------------------------------------------------------
def test_engine_with_fake_backend() -> None:
    text = SRC.replace(
        "self.itmes.append((item, qty))",
        "self.itmes.append((item, qty))  # fake-fix: itmes -> items",
    )
    backend = FakeBackend()
    try:
        result = asyncio.run(FixEngine(backend).compute(task(text)))
    finally:
        backend.close()
    assert result.version == 3
    assert "self.items.append" in apply_edits(text, result.edits)
    assert len(result.edits) == 1


# -- the task set ------------------------------------------------------------------------------------
def test_fix_task_set_is_valid() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    tasks = load_tasks(default_tasks_dir(), "all")
    assert len(tasks) >= 12
    assert {t.language for t in tasks} >= {"python", "javascript"}
    assert {t.split for t in tasks} == {"dev", "heldout"}
    assert validate(tasks) == []
