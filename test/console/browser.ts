/**
 * Debian's Chromium, driven headless by playwright-core (no browser download). Without a Chromium
 * the console's browser tests fail in CI (process.env.CI) and are skipped, with the reason printed,
 * elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export function findChromium(): string | null {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const p = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (p !== '' && existsSync(p)) return p;
    } catch {
      // not on the PATH
    }
  }
  return null;
}

/** The browser, or null (skip) outside CI when there is none; in CI a missing browser fails. */
export async function launch(): Promise<Browser | null> {
  const exe = findChromium();
  if (exe === null) {
    const why = 'Chromium not found (apt-get install -y chromium; .ci/run installs it)';
    if (process.env.CI) throw new Error(`console browser tests: ${why}`);
    process.stdout.write(`\nSKIPPED console browser tests: ${why}\n`);
    return null;
  }
  // --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

/** Screenshots land in test-results/console (gitignored). */
export const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '../../../test-results/console');

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

/** axe-core run in the page (evaluated through the DevTools protocol, which the page's CSP does not govern). */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await (
      globalThis as unknown as {
        axe: {
          run: (
            ctx: unknown,
            o: unknown,
          ) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[] }>;
        };
      }
    ).axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
}
