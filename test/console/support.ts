// Real Chromium (Debian's /usr/bin/chromium) driven by playwright-core against a real server.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CONSOLE_DIST } from '../../src/http/console-routes.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The bundle is built by `npm run build` (pretest); build it when a single file is run alone. */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(CONSOLE_DIST, 'index.html'))) return;
  execFileSync('npx', ['vite', 'build', 'packages/console'], { stdio: 'inherit' });
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (CI's .ci/run does), or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Where screenshots go: docs/screenshots with `npm run screenshots`, a temp dir otherwise. */
export function screenshotDir(fallback: string): string {
  const dir = process.env.BEACON_SCREENSHOTS ?? join(fallback, 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
