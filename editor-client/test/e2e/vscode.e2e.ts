/**
 * End-to-end in a real VS Code (code-server's web UI in headless chromium, driven by
 * playwright-core), with the extension installed from the .vsix and `infilld serve` on the fake
 * backend. scripts/e2e.sh prepares everything and runs this with:
 *   E2E_URL        the code-server URL with the sample project opened
 *   E2E_PROJECT    the sample project's folder (its files are checked on disk after saving)
 *   E2E_ARTIFACTS  where screenshots go
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

const url = required('E2E_URL');
const project = required('E2E_PROJECT');
const artifacts = required('E2E_ARTIFACTS');

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set; run this through scripts/e2e.sh`);
  }
  return value;
}

let browser: Browser;
let page: Page;
let shot = 0;

async function screenshot(name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: path.join(artifacts, `${String(shot).padStart(2, '0')}-${name}.png`) });
}

/** The infilld status bar item (VS Code gives it the id `<extension id>.<item id>`). */
function statusItem(page: Page) {
  return page.locator('[id="infilld.infilld.infilld.status"]');
}

/** Opens a file of the sample project from the Explorer (Quick Open needs ripgrep, which
 * code-server's npm package only fetches in an install script). */
async function openFile(name: string): Promise<void> {
  await page.keyboard.press('Control+Shift+E'); // focus the Explorer (a fresh profile may hide it)
  const tree = page.locator('.explorer-folders-view');
  await tree.waitFor({ timeout: 15_000 });
  const parts = name.split('/');
  for (const [i, part] of parts.entries()) {
    const row = tree.getByRole('treeitem', { name: part, exact: true }).first();
    try {
      await row.waitFor({ timeout: 15_000 });
    } catch (error) {
      await screenshot(`explorer-without-${part}`);
      throw error;
    }
    const expanded = await row.getAttribute('aria-expanded');
    if (i < parts.length - 1 && expanded === 'true') {
      continue;
    }
    await row.click();
  }
  const base = parts[parts.length - 1];
  await page.locator('.tab.active', { hasText: base }).first().waitFor({ timeout: 15_000 });
  await page.locator('.monaco-editor .view-lines').first().click();
}

function onDisk(file: string): string {
  return readFileSync(path.join(project, file), 'utf8');
}

async function save(): Promise<void> {
  await page.keyboard.press('Control+S');
  await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
}

describe('infilld in code-server', { timeout: 300_000 }, () => {
  before(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  });

  after(async () => {
    if (page !== undefined) {
      await screenshot('final').catch(() => undefined);
    }
    await browser?.close();
  });

  it('the status bar reaches "ready" once the server has loaded the model', async () => {
    const item = statusItem(page);
    await item.waitFor({ timeout: 60_000 });
    await item.locator('.codicon-sparkle').waitFor({ timeout: 60_000 });
    await screenshot('ready');
    assert.match((await item.textContent()) ?? '', /infilld/);
  });

  it('shows ghost text while typing, and Tab accepts it into the document', async () => {
    await openFile('src/totals.py');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('ad', { delay: 80 });
    const ghost = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text').first();
    await ghost.waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot('ghost-text');
    // Monaco renders spaces as no-break spaces.
    assert.equal(((await ghost.textContent()) ?? '').replace(/\u00a0/g, ' '), 'd(result, item)');
    await page.keyboard.press('Tab');
    await ghost.waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await save();
    await screenshot('accepted');
    const lines = onDisk('src/totals.py').split('\n');
    assert.equal(lines[lines.length - 1], '        result = add(result, item)');
  });

  it('"Fix this" on a TypeScript diagnostic applies the model\'s edit', async (t) => {
    await openFile('src/stats.ts');
    // Wait for the TypeScript server's diagnostic (squiggle) on `lenght`.
    const squiggle = page.locator('.monaco-editor .squiggly-error').first();
    try {
      await squiggle.waitFor({ timeout: 90_000 });
    } catch {
      await screenshot('no-diagnostic');
      assert.fail('the TypeScript extension published no diagnostic for src/stats.ts (is typescript.tsdk set?)');
    }
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowDown');
    // Put the cursor inside `lenght`, where the diagnostic is.
    await page.keyboard.press('End');
    for (let i = 0; i < 'lenght; // fake-fix: values.lenght -> values.length'.length - 3; i++) {
      await page.keyboard.press('ArrowLeft');
    }
    const menu = page.locator('.action-widget:not(.action-list-submenu-panel)').first();
    // On a loaded 2-core machine a first Ctrl+. has gone unanswered for 20 s with the diagnostic
    // already shown (a fresh-clone run sharing the CPU with a benchmark): ask again, three times
    // at most, rather than fail on one slow or lost request.
    let shown = false;
    for (let attempt = 0; attempt < 3 && !shown; attempt++) {
      await page.keyboard.press('Control+.');
      shown = await menu.waitFor({ timeout: 20_000 }).then(
        () => true,
        () => false,
      );
    }
    if (!shown) {
      await screenshot('no-code-actions');
      assert.fail('no code action menu after three Ctrl+. presses');
    }
    await screenshot('code-actions');
    const fix = menu.locator('.monaco-list-row', { hasText: 'Fix this' }).first();
    if ((await fix.count()) === 0) {
      // The action comes from the server; an older server without it is not a client failure.
      const offered = (await menu.locator('.monaco-list-row').allTextContents()).join(' | ');
      await page.keyboard.press('Escape');
      t.skip(`the server offered no "Fix this" action (offered: ${offered || 'nothing'})`);
      return;
    }
    await fix.click();
    const fixedLine = page.locator('.monaco-editor .view-line', { hasText: '/ values.length;' });
    await fixedLine.waitFor({ timeout: 60_000 });
    await save();
    await screenshot('fixed');
    const text = onDisk('src/stats.ts');
    assert.match(text, /\/ values\.length; \/\/ fake-fix/);
    assert.doesNotMatch(text.split('//')[0], /lenght/);
  });
});
