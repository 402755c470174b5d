-- infilld for Neovim 0.11+: local AI inline completion and "Fix this" code actions.
--
-- Install: copy this file to ~/.config/nvim/lua/infilld.lua, then in init.lua:
--
--   require('infilld').setup({
--     -- cmd = { '/path/to/.venv/bin/infilld', 'serve' },   -- default: infilld on PATH
--     -- init_options = { model = { name = 'qwen2.5-coder-0.5b-instruct-q4_k_m' } },
--   })
--
-- Keys (insert mode): <M-]> asks for a suggestion now, <Tab> accepts the one shown (otherwise it
-- is a normal Tab), <C-]> dismisses it. Suggestions are also requested after a short pause in
-- typing (opts.auto = false turns that off). Code actions ("Fix this" on a diagnostic, "Add
-- docstring") are ordinary LSP code actions: Neovim 0.11 maps them to `gra`.
-- Statusline: %{v:lua.require'infilld'.status()}
--
-- Neovim 0.11 has no built-in inline completion client (0.12 adds vim.lsp.inline_completion), so
-- this file sends textDocument/inlineCompletion itself and shows the first item as virtual text.

local M = {}

local ns = vim.api.nvim_create_namespace('infilld')
local state = { status = { state = 'starting', message = '', model = '' }, shown = nil, timer = nil, seq = 0 }

local defaults = {
  cmd = { 'infilld', 'serve' },
  filetypes = {
    'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust', 'java',
    'c', 'cpp', 'lua', 'ruby', 'php', 'sh', 'bash', 'zsh', 'cs', 'kotlin', 'swift', 'scala', 'html', 'css',
  },
  root_markers = { '.git', 'pyproject.toml', 'package.json', 'go.mod', 'Cargo.toml' },
  -- The same nested settings as VS Code's `infilld.*` (see `infilld schema --vscode`).
  init_options = {},
  auto = true,
  debounce_ms = 250,
  keys = { request = '<M-]>', accept = '<Tab>', dismiss = '<C-]>' },
}

--- The server's last `infilld/status`, for a statusline.
function M.status()
  local s = state.status
  if s.state == 'ready' and s.lastLatencyMs then
    return string.format('infilld %d ms', s.lastLatencyMs)
  end
  return 'infilld ' .. s.state
end

local function client_for(buf)
  return vim.lsp.get_clients({ bufnr = buf, name = 'infilld' })[1]
end

function M.clear()
  if state.shown then
    pcall(vim.api.nvim_buf_del_extmark, state.shown.buf, ns, state.shown.mark)
  end
  state.shown = nil
end

-- The item's text as it would read from the cursor on: the part of the item's range before the
-- cursor is already typed, so only the rest is shown and inserted.
local function visible_text(item, line, col)
  local text = type(item.insertText) == 'table' and item.insertText.value or item.insertText
  if item.range and item.range.start.line == line and item.range.start.character < col then
    local typed = vim.api.nvim_buf_get_lines(0, line, line + 1, false)[1]:sub(item.range.start.character + 1, col)
    if text:sub(1, #typed) ~= typed then
      return nil
    end
    text = text:sub(#typed + 1)
  end
  return text
end

local function show(buf, line, col, text)
  M.clear()
  if text == nil or text == '' then
    return
  end
  local lines = vim.split(text, '\n', { plain = true })
  local virt_lines = {}
  for i = 2, #lines do
    virt_lines[#virt_lines + 1] = { { lines[i], 'Comment' } }
  end
  local mark = vim.api.nvim_buf_set_extmark(buf, ns, line, col, {
    virt_text = { { lines[1], 'Comment' } },
    virt_text_pos = 'inline',
    virt_lines = #virt_lines > 0 and virt_lines or nil,
  })
  state.shown = { buf = buf, mark = mark, line = line, col = col, text = text }
end

--- Sends textDocument/inlineCompletion for the cursor; `callback(items)` gets the raw items
--- (tests use it), and the first one is shown as ghost text.
function M.request(callback)
  local buf = vim.api.nvim_get_current_buf()
  local client = client_for(buf)
  if not client then
    return false
  end
  state.seq = state.seq + 1
  local seq = state.seq
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = 1 } -- Invoked
  local cursor = vim.api.nvim_win_get_cursor(0)
  client:request('textDocument/inlineCompletion', params, function(err, result)
    if err or seq ~= state.seq then
      if callback then callback({}, err) end
      return
    end
    local items = result and (result.items or result) or {}
    local now = vim.api.nvim_win_get_cursor(0)
    if items[1] and now[1] == cursor[1] and now[2] == cursor[2] and vim.api.nvim_get_mode().mode:sub(1, 1) == 'i' then
      show(buf, cursor[1] - 1, cursor[2], visible_text(items[1], cursor[1] - 1, cursor[2]))
    end
    if callback then callback(items) end
  end, buf)
  return true
end

--- Tells the server where the cursor came to rest (`infilld/cursor`), so it prepares that spot
--- while the user reads; the server ignores a cursor where its last edit or request left it.
function M.report_cursor()
  local buf = vim.api.nvim_get_current_buf()
  local client = client_for(buf)
  if not client then
    return false
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  return client:notify('infilld/cursor', { textDocument = params.textDocument, position = params.position })
end

--- Inserts the suggestion shown; returns false when there is none (so <Tab> falls through).
function M.accept()
  local s = state.shown
  if not s then
    return false
  end
  M.clear()
  local lines = vim.split(s.text, '\n', { plain = true })
  vim.api.nvim_buf_set_text(s.buf, s.line, s.col, s.line, s.col, lines)
  local last = s.line + #lines
  local col = (#lines == 1 and s.col or 0) + #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { last, col })
  return true
end

function M.setup(opts)
  opts = vim.tbl_deep_extend('force', defaults, opts or {})
  vim.lsp.config('infilld', {
    cmd = opts.cmd,
    filetypes = opts.filetypes,
    root_markers = opts.root_markers,
    init_options = opts.init_options,
    -- Sent with workspace/didChangeConfiguration as {settings = {infilld = ...}}.
    settings = { infilld = opts.init_options },
    handlers = {
      ['infilld/status'] = function(_, result)
        if type(result) == 'table' then
          state.status = result
          vim.api.nvim_exec_autocmds('User', { pattern = 'InfilldStatus', modeline = false })
        end
      end,
    },
  })
  vim.lsp.enable('infilld')

  local group = vim.api.nvim_create_augroup('infilld', { clear = true })
  vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, { group = group, callback = M.clear })
  -- After 'updatetime' ms without a cursor move (CursorHold): a moment of reading.
  vim.api.nvim_create_autocmd({ 'CursorHold', 'CursorHoldI' }, {
    group = group,
    callback = function() M.report_cursor() end,
  })
  vim.api.nvim_create_autocmd('TextChangedI', {
    group = group,
    callback = function()
      M.clear()
      if not opts.auto then
        return
      end
      state.timer = state.timer or vim.uv.new_timer()
      state.timer:stop()
      state.timer:start(opts.debounce_ms, 0, vim.schedule_wrap(function()
        if vim.api.nvim_get_mode().mode:sub(1, 1) == 'i' then
          M.request()
        end
      end))
    end,
  })
  vim.keymap.set('i', opts.keys.request, function() M.request() end, { desc = 'infilld: suggest' })
  vim.keymap.set('i', opts.keys.dismiss, M.clear, { desc = 'infilld: dismiss suggestion' })
  vim.keymap.set('i', opts.keys.accept, function()
    if not M.accept() then
      vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(opts.keys.accept, true, false, true), 'n', false)
    end
  end, { desc = 'infilld: accept suggestion' })
end

return M
