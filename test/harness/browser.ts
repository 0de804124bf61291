// Headless Chromium for the console's tests: Debian's `chromium` driven by playwright-core (no browser download).
// A missing browser fails the test, never skips it. Every console error, page error and failed request is
// recorded, so a test ends with `expectNoConsoleErrors()`; screenshots go to test/.screenshots/ (gitignored).
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../.screenshots/', import.meta.url));
const README_IMAGE = fileURLToPath(new URL('../../docs/images/console.png', import.meta.url));

/** The size the console must fit without sideways scrolling: a laptop screen. */
export const LAPTOP = { width: 1280, height: 800 };

export class ConsoleBrowser {
  private constructor(private readonly browser: Browser) {}

  static async launch(): Promise<ConsoleBrowser> {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `the console tests need Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it) or SLUICE_CHROMIUM`,
      );
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    return new ConsoleBrowser(browser);
  }

  async open(url: string, viewport = LAPTOP): Promise<ConsolePage> {
    const context = await this.browser.newContext({ viewport });
    const page = await context.newPage();
    const console = new ConsolePage(page);
    await page.goto(url);
    return console;
  }

  close(): Promise<void> {
    return this.browser.close();
  }
}

export class ConsolePage {
  /** Console errors, uncaught page errors and failed requests, in the order they happened. */
  readonly problems: string[] = [];

  constructor(readonly page: Page) {
    page.on('console', (m) => {
      if (m.type() === 'error') this.problems.push(`console error: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => this.problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      // A stream the page closes on purpose (leaving the tap view) ends as an aborted request.
      if (r.failure()?.errorText === 'net::ERR_ABORTED' && r.resourceType() === 'fetch') return;
      this.problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`);
    });
  }

  expectNoConsoleErrors(): void {
    if (this.problems.length > 0) throw new Error(`the page reported problems:\n${this.problems.join('\n')}`);
  }

  /** Saves test/.screenshots/<name>.png; returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = `${SCREENSHOTS}${name}.png`;
    await this.page.screenshot({ path });
    return path;
  }

  /**
   * The README's picture of the console: written to docs/images/console.png only when SLUICE_UPDATE_SCREENSHOTS=1
   * (a run that should refresh it), else to test/.screenshots/ like any other.
   */
  async readmeScreenshot(): Promise<string> {
    if (process.env.SLUICE_UPDATE_SCREENSHOTS !== '1') return this.screenshot('readme-console');
    mkdirSync(fileURLToPath(new URL('.', `file://${README_IMAGE}`)), { recursive: true });
    await this.page.screenshot({ path: README_IMAGE });
    return README_IMAGE;
  }

  /** Whether the page is wider than the window (a layout that makes people scroll sideways). */
  hasHorizontalScroll(): Promise<boolean> {
    // A string: this file is compiled without the DOM's types, and the check runs in the page.
    return this.page.evaluate<boolean>('document.documentElement.scrollWidth > document.documentElement.clientWidth');
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}
