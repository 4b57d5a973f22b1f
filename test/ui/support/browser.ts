// Driving Debian's Chromium for the web interface tests: launch, per-page console and page-error capture, axe-core
// checks, screenshots into test-artifacts/ui/, and the 360 px layout check.
import { expect } from 'chai';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ARTIFACTS = resolve('test-artifacts/ui');
export const CHROMIUM = process.env.QSPOOL_CHROMIUM ?? '/usr/bin/chromium';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Everything a page printed as an error: console errors (CSP violations land here too) and uncaught exceptions. */
export interface ConsoleWatch {
  errors: string[];
  /** Forgets what was seen so far (after a step that expects errors, e.g. a 404 for someone else's job). */
  take(): string[];
}

export function watchConsole(page: Page): ConsoleWatch {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return {
    errors,
    take: () => errors.splice(0, errors.length),
  };
}

export interface UserPage {
  context: BrowserContext;
  page: Page;
  console: ConsoleWatch;
}

export async function openPage(browser: Browser, width = 1280, height = 900): Promise<UserPage> {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page, console: watchConsole(page) };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** The success criteria qspool's pages must meet: WCAG 2.1 levels A and AA, as axe-core tags them. */
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
/**
 * axe's best-practice rules for what WCAG asks without a rule of its own that axe could tag: one main landmark and all
 * content inside landmarks, one h1 and headings in order, a skip link that leads somewhere, and a focus order that
 * follows the page (no positive tabindex).
 */
const STRUCTURE_RULES = ['landmark-one-main', 'landmark-unique', 'region', 'page-has-heading-one', 'heading-order', 'skip-link', 'tabindex'];

/**
 * Runs axe-core in the page and returns every violation of WCAG 2.1 A/AA (and of the structure rules above), whatever
 * its impact, in axe's own words: the rule, its help text, and for up to three elements where it failed and why. The
 * script is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern (a
 * <script> tag would be refused).
 */
export async function axeViolations(page: Page): Promise<string[]> {
  // Once per document: pages move between each other without reloading.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(
    async ({ tags, rules }) => {
      const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
      const outcome = await axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        rules: Object.fromEntries(rules.map((rule) => [rule, { enabled: true }])),
        resultTypes: ['violations'],
      });
      return outcome.violations.map(({ id, impact, help, nodes }) => ({
        id,
        impact,
        help,
        nodes: nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
      }));
    },
    { tags: WCAG_21_AA, rules: STRUCTURE_RULES },
  );
  return violations.map(
    (v) => `${v.impact} ${v.id}: ${v.help}${v.nodes.slice(0, 3).map((n) => `\n      at ${JSON.stringify(n.target)}: ${n.failureSummary?.replace(/\s+/g, ' ')}`).join('')}`,
  );
}

/** Fails on any violation axeViolations finds, listing them all. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  expect(await axeViolations(page), `axe on ${label}`).to.deep.equal([]);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Nothing sticks out sideways: the page is usable without horizontal scrolling at the current width. */
export async function expectNoHorizontalScroll(page: Page, label: string): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll, `${label} is ${scroll} px wide in a ${client} px window`).to.be.at.most(client);
}

export function expectNoConsoleErrors(watch: ConsoleWatch, label: string): void {
  expect(watch.take(), `console errors on ${label}`).to.deep.equal([]);
}

/**
 * Bars actually drawn on a histogram's canvas: runs of the bar colour along a pixel row just above the x axis
 * (uPlot's overlay element covers exactly the plotting area).
 */
export async function countDrawnBars(page: Page, figure: string, fill: string): Promise<number> {
  return page.evaluate(
    ({ figure, fill }) => {
      const root = document.querySelector(figure)!;
      const canvas = root.querySelector('canvas')!;
      const over = root.querySelector<HTMLElement>('.u-over')!;
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      const left = Math.round(over.offsetLeft * ratio);
      const width = Math.round(over.offsetWidth * ratio);
      const y = Math.round((over.offsetTop + over.offsetHeight) * ratio) - 2;
      const row = canvas.getContext('2d')!.getImageData(left, y, width, 1).data;
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(fill.slice(i, i + 2), 16));
      let runs = 0;
      let inside = false;
      for (let x = 0; x < width; x += 1) {
        const near = Math.abs(row[x * 4]! - r!) < 24 && Math.abs(row[x * 4 + 1]! - g!) < 24 && Math.abs(row[x * 4 + 2]! - b!) < 24 && row[x * 4 + 3]! > 200;
        if (near && !inside) runs += 1;
        inside = near;
      }
      return runs;
    },
    { figure, fill },
  );
}
