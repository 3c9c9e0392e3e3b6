import { chromium, type Browser, type Page } from 'playwright-core';

/** The flags every browser test runs Debian's Chromium with: headless in a container, nothing fetched from the internet. */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Real headless Chromium (`/usr/bin/chromium`, from scripts/install-system-deps.sh); `extraArgs` after the common flags. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...ARGS, ...extraArgs] });
}

/**
 * A screenshot for a person to look at (test-results/). Under a loaded machine Chromium sometimes
 * answers "Unable to capture screenshot" once; it is asked again a few times before that counts.
 */
export async function screenshot(page: Page, path: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.screenshot({ path });
      return;
    } catch (err) {
      if (attempt >= 3 || !/Unable to capture screenshot/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}
