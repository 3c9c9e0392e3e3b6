import { chromium, type Browser } from 'playwright-core';

/** The flags every browser test runs Debian's Chromium with: headless in a container, nothing fetched from the internet. */
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Real headless Chromium (`/usr/bin/chromium`, from scripts/install-system-deps.sh); `extraArgs` after the common flags. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...ARGS, ...extraArgs] });
}
