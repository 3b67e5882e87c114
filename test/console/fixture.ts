/**
 * The console's browser-test fixture: one devnet node (one validator), the organization that runs
 * it, an operator client, Debian's Chromium, and the steps people take (import a key file and sign
 * in, open a view), plus the checks every view must pass (axe, 375 px). Each test file starts one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import * as assert from 'uvu/assert';
import { readDevnet } from '../../src/cli/devnet.js';
import { type Account, accountFromSecret, encryptKey, MedchainClient, TxFactory } from '../../src/client/index.js';
import { operatorToken, TestNet } from '../helpers/procs.js';
import { axe, launch, shot } from './browser.js';

export const WAIT = 90_000;
/** Key files for tests: cheap to open (the console reads any scrypt cost the file names). */
const FAST_SCRYPT = { N: 2 ** 14, r: 8, p: 1 };

export interface ConsoleNetOptions {
  /** Before the node starts: e.g. writes its config (a vault). */
  beforeStart?: (home: string, org: Account) => void | Promise<void>;
}

export class ConsoleNet {
  /** Every URL the pages asked for: all must be the node's. */
  readonly requested: string[] = [];
  private readonly contexts: BrowserContext[] = [];
  readonly files = mkdtempSync(join(tmpdir(), 'medchain-console-'));

  private constructor(
    readonly browser: Browser,
    readonly net: TestNet,
    readonly node: MedchainClient,
    readonly chainId: string,
    readonly url: string,
    readonly org: Account,
  ) {}

  /** The devnet and browser, or null when there is no Chromium (the caller skips; CI fails in launch). */
  static async start(opts: ConsoleNetOptions = {}): Promise<ConsoleNet | null> {
    const browser = await launch();
    if (browser === null) return null;
    const net = await TestNet.create(1, 200);
    const m = await readDevnet(net.dir);
    const org = accountFromSecret((m.nodes[0] as { orgSecretKey: string }).orgSecretKey);
    await opts.beforeStart?.(net.nodes[0]?.home as string, org);
    net.startAll();
    await net.waitHeight(0, 1, 60_000);
    const url = net.nodes[0]?.rpc as string;
    const node = MedchainClient.http(url, { token: operatorToken() });
    const { chainId } = await node.status();
    return new ConsoleNet(browser, net, node, chainId, url, org);
  }

  as(a: Account): TxFactory {
    return new TxFactory({ chainId: this.chainId, account: a });
  }

  /** Sends a tx through the operator client; it must be included with status ok. */
  async ok(tx: { bytes: Uint8Array }): Promise<void> {
    const r = await this.node.send(tx);
    assert.is(r.status, 'ok', `${r.status} ${r.code ?? ''}`);
  }

  async keyFile(a: Account, name: string, password: string): Promise<string> {
    const file = join(this.files, `${name}.json`);
    writeFileSync(file, JSON.stringify(await encryptKey(a, password, name, FAST_SCRYPT)));
    return file;
  }

  /** A fresh browser context on the console, its requests recorded. */
  async newPage(): Promise<Page> {
    const ctx = await this.browser.newContext({ viewport: { width: 1000, height: 900 } });
    this.contexts.push(ctx);
    const page = await ctx.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('request', (r) => this.requested.push(r.url()));
    await page.goto(`${this.url}/console/`);
    return page;
  }

  /** Imports a key file on the sign-in view and waits for the first view of the role (its h1). */
  async signIn(page: Page, file: string, password: string, heading: string): Promise<void> {
    await page.setInputFiles('#import-file', file);
    await page.fill('#import-password', password);
    await page.click('text=Import and sign in');
    await page.locator('h1', { hasText: heading }).waitFor();
  }

  /** A new page signed in as `a` (its key file written under `name`). */
  async pageAs(a: Account, name: string, heading: string): Promise<Page> {
    const page = await this.newPage();
    await this.signIn(page, await this.keyFile(a, name, `${name}-pw`), `${name}-pw`, heading);
    return page;
  }

  /** URLs asked for that were not the node's. */
  foreignRequests(): string[] {
    return this.requested.filter(
      (u) => !u.startsWith(`${this.url}/`) && !u.startsWith('data:') && !u.startsWith('blob:'),
    );
  }

  async close(): Promise<void> {
    for (const c of this.contexts) await c.close().catch(() => {});
    await this.browser.close();
    await this.node.close();
    await this.net.close();
    rmSync(this.files, { recursive: true, force: true });
  }
}

// Exact names: "My records" is also a substring of "Who looked at my records".
export const view = (page: Page, title: string): Promise<void> =>
  page.getByRole('navigation').getByText(title, { exact: true }).click();

/** At 375 px: no serious or critical axe violation, no sideways scroll; a screenshot `375-<name>`. */
export async function usableAt375(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 375, height: 800 });
  await checkAt375(page, name);
  await page.setViewportSize({ width: 1000, height: 900 });
}

async function checkAt375(page: Page, name: string): Promise<void> {
  const bad = (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.equal(bad, [], `${name}: ${JSON.stringify(bad)}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name} scrolls sideways at 375 px (${overflow} px)`);
  await shot(page, `375-${name}`);
}

/** Opens the view titled `title` and checks it at 375 px. */
export async function checkView(page: Page, title: string, name: string): Promise<void> {
  await page.setViewportSize({ width: 375, height: 800 });
  await view(page, title);
  await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
  await checkAt375(page, name);
}
