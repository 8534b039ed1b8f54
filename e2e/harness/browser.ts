import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { testSettings } from '@palisade/kit/testing/config';

// Debian's chromium, driven by playwright-core: no browser download. The flags keep it off the network.
export const CHROMIUM = testSettings().chromium;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Where the browser tests leave a screenshot of every console screen (the README shows the main ones). */
export const SCREENSHOTS = testSettings().screenshots ?? join(import.meta.dirname, '..', '..', '.ci', 'screenshots');

/** Chromium, or null with a loud notice; a failure instead when the run requires real parts (CI). */
export async function launchBrowser(): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) {
    if (testSettings().requireRealServers) throw new Error(`no browser at ${CHROMIUM}: the console tests cannot run (apt-get install chromium)`);
    console.warn(`[palisade] NOT RUN: admin console tests need chromium at ${CHROMIUM}`);
    return null;
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

export async function signIn(page: Page, url: string, email: string, password: string) {
  await page.goto(url);
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export const navLinks = async (page: Page) => (await page.getByRole('navigation').getByRole('link').allTextContents()).map((s) => s.trim());

/** Opens a screen from the navigation and waits for its heading. */
export async function openScreen(page: Page, name: string) {
  await page.getByRole('navigation').getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Serious and critical accessibility violations axe-core finds on the page as it stands. Injecting axe
 * needs a context made with `bypassCSP: true`: the console's own CSP rightly refuses inline scripts.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const results = await page.evaluate(async () => (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run());
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
