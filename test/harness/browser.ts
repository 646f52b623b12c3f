import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { expect } from 'vitest';

/*
 * Real Chromium for the web UI's browser tests: Debian's chromium package (deploy/scripts/lib.sh
 * sb_ensure_chromium installs it; CHROMIUM_PATH names it), driven by puppeteer-core. Nothing is
 * downloaded. axe-core checks each page against WCAG 2.1 AA, and screenshots of the pages go
 * to artifacts/ui-screenshots (README: "Web UI"), for a reviewer to look at without running anything.
 */

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const SCREENSHOT_DIR = join(process.cwd(), 'artifacts', 'ui-screenshots');

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return path;
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--lang=en-US'],
    defaultViewport: { width: 1280, height: 900 },
  });
}

export interface PageWatch {
  /** CSP violations and script errors the page reported since it was opened. */
  problems: string[];
}

/** A new tab that records CSP violations, console errors and uncaught exceptions (the tests expect none). */
export async function openPage(browser: Browser): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.newPage();
  const watch: PageWatch = { problems: [] };
  page.on('console', (msg) => {
    // A failed load is reported below, from the response, with its URL (a page answered 4xx on purpose is no problem).
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) watch.problems.push(`console: ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && res.request().resourceType() !== 'document') watch.problems.push(`${res.status()} for ${res.url()}`);
  });
  page.on('requestfailed', (req) => watch.problems.push(`failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('pageerror', (err) => watch.problems.push(`page error: ${String(err)}`));
  // Page code is passed as text: this file is type-checked for Node, without the DOM's types.
  await page.evaluateOnNewDocument(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))",
  );
  return { page, watch };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core on the page for WCAG 2.0/2.1 A and AA; returns the violations (the tests expect none). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern: the page itself stays strict.
  await page.evaluate(AXE_SOURCE);
  return (await page.evaluate(`(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  })()`)) as AxeViolation[];
}

/** Evaluates an expression in the page (as text: no DOM types here) and returns its value. */
export async function inPage<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

/*
 * The keyboard alone, as a user without a mouse drives a page: every control is reached with
 * Tab, chosen with the arrow keys, typed into, and sent with Enter.
 */

/**
 * Moves the focus with Tab (only) until it rests on `selector`: proof that the control is in the
 * keyboard's reach. Fails after a full round of the page without meeting it.
 */
export async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (await inPage<boolean>(page, `document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} cannot be reached with the Tab key on ${page.url()}`);
}

/** Chooses an option of a <select> with the arrow keys. */
export async function keyboardChoose(page: Page, selector: string, value: string): Promise<void> {
  await tabTo(page, selector);
  const [current, wanted] = await inPage<[number, number]>(
    page,
    `(() => { const s = document.querySelector(${JSON.stringify(selector)}); return [s.selectedIndex, [...s.options].findIndex((o) => o.value === ${JSON.stringify(value)})]; })()`,
  );
  expect(wanted, `${selector} offers ${value}`).toBeGreaterThanOrEqual(0);
  for (let i = current; i !== wanted; i += wanted > current ? 1 : -1) await page.keyboard.press(wanted > current ? 'ArrowDown' : 'ArrowUp');
  expect(await inPage<string>(page, `document.querySelector(${JSON.stringify(selector)}).value`)).toBe(value);
}

/** Replaces a text field's value by typing. */
export async function keyboardType(page: Page, selector: string, text: string): Promise<void> {
  await tabTo(page, selector);
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(text);
}

/** Tabs to the button with this label and presses Enter. */
export async function keyboardSubmit(page: Page, label: string): Promise<void> {
  const marker = `data-kb-${Math.random().toString(36).slice(2)}`;
  await inPage(
    page,
    `[...document.querySelectorAll('button')].find((b) => b.textContent.replace(/\\s+/g, ' ').trim() === ${JSON.stringify(label)})?.setAttribute('${marker}', '')`,
  );
  await tabTo(page, `button[${marker}]`);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) as `${string}.png`, fullPage: true });
}
