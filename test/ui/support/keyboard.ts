// Using the web interface with the keyboard alone, as the accessibility tests do: moving the focus with Tab until it
// reaches a control, checking on the way that every control it passes shows where the focus is (WCAG 2.4.7, with
// the 3:1 contrast 1.4.11 asks of it), and describing what has the focus for assertions and failure messages.
import { expect } from 'chai';
import type { Page } from 'playwright-core';

/** What has the keyboard focus, and how its focus indicator looks against what surrounds it. */
export interface Focused {
  /** Tag, accessible text and the attributes tests look for: `button "Next page"`. */
  describe: string;
  tag: string;
  text: string;
  /** Whether it matches the selector (and text) looked for, when one was. */
  matches: boolean;
  /** The outline as drawn: style, width in px, colour; and the first opaque background behind it. */
  outline: { style: string; width: number; color: string };
  background: string;
}

async function focused(page: Page, selector?: string, withText?: string): Promise<Focused> {
  return page.evaluate(({ selector, withText }) => {
    const element = document.activeElement ?? document.body;
    const style = getComputedStyle(element);
    // The outline is drawn around the element, over whatever is behind it: the nearest ancestor with a background.
    let background = 'rgb(255, 255, 255)';
    for (let node = element.parentElement; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      if (colour !== 'transparent' && !/rgba\(.*, 0\)$/.test(colour)) {
        background = colour;
        break;
      }
    }
    const text = (element.getAttribute('aria-label') ?? (element as HTMLElement).innerText ?? '').trim().replace(/\s+/g, ' ');
    return {
      describe: `${element.tagName.toLowerCase()} "${text.slice(0, 80)}"`,
      tag: element.tagName.toLowerCase(),
      text,
      matches: selector ? element.matches(selector) && (withText === undefined || text === withText) : false,
      outline: { style: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor },
      background,
    };
  }, { selector, withText });
}

export function whatHasFocus(page: Page): Promise<Focused> {
  return focused(page);
}

function luminance(colour: string): number {
  const [r, g, b] = (colour.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map((part) => {
    const c = Number(part) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG's contrast ratio of two `rgb(…)` colours. */
function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

/** Fails unless the focused element shows an outline at least 2 px wide with 3:1 contrast against its background. */
export function expectFocusVisible(now: Focused, where: string): void {
  const seen = `${now.describe} on ${where} (outline ${now.outline.style} ${now.outline.width}px ${now.outline.color} over ${now.background})`;
  expect(now.outline.style, `focus indicator of ${seen}`).to.not.equal('none');
  expect(now.outline.width, `focus indicator width of ${seen}`).to.be.at.least(2);
  expect(contrast(now.outline.color, now.background), `focus indicator contrast of ${seen}`).to.be.at.least(3);
}

/**
 * Presses Tab (Shift+Tab when `backwards`) until the focus is on an element matching `selector` (whose accessible
 * text is `text`, if given), checking the focus indicator of every element it passes; fails after `limit` presses,
 * naming where the focus went.
 */
export async function tabTo(page: Page, selector: string, where: string, { backwards = false, limit = 60, text }: { backwards?: boolean; limit?: number; text?: string } = {}): Promise<Focused> {
  const path: string[] = [];
  for (let presses = 0; presses < limit; presses += 1) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    const now = await focused(page, selector, text);
    path.push(now.describe);
    if (now.tag !== 'body') expectFocusVisible(now, where);
    if (now.matches) return now;
  }
  throw new Error(`${limit} presses of ${backwards ? 'Shift+Tab' : 'Tab'} on ${where} never reached ${selector}${text ? ` "${text}"` : ''}; the focus went: ${path.join(' → ')}`);
}

/** Waits until what has the focus matches `selector` (focus moved by the page after an action), or fails saying what has it. */
export async function expectFocusOn(page: Page, selector: string, what: string): Promise<Focused> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const now = await focused(page, selector);
    if (now.matches) return now;
    if (Date.now() > deadline) expect.fail(`the focus should be on ${what} (${selector}), but is on ${now.describe}`);
    await page.waitForTimeout(50);
  }
}
