/**
 * Runs a document's blocks as a reader would: one bash session (variables, aliases and exports
 * carry from block to block), `set -e` so a failing command fails its block, every block bounded
 * by a timeout, background blocks (the devnet, the vault) stopped at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Block } from './blocks.js';

export class DocError extends Error {}

export class DocSession {
  private proc: ChildProcess | undefined;
  private out = '';
  private exit: number | null | undefined;
  private n = 0;

  constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
    readonly doc: string,
  ) {}

  /** A work directory that looks like the repository root: the built dist/, node_modules, package.json. */
  static linkCheckout(dir: string, repo: string): void {
    for (const f of ['dist', 'node_modules', 'package.json']) symlinkSync(join(repo, f), join(dir, f));
  }

  private start(): ChildProcess {
    const p = spawn('bash', ['--noprofile', '--norc'], {
      cwd: this.dir,
      env: { ...this.env, PATH: `${dirname(process.execPath)}:${this.env.PATH ?? ''}` },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (d: Buffer): void => {
      this.out = (this.out + d.toString()).slice(-200_000);
    };
    p.stdout?.on('data', keep);
    p.stderr?.on('data', keep);
    p.on('exit', (code) => {
      this.exit = code;
    });
    p.stdin?.write('set -eo pipefail\nshopt -s expand_aliases\n');
    this.proc = p;
    return p;
  }

  /** Runs one block; throws a DocError naming the document line on a failure or a timeout. */
  async run(b: Block): Promise<void> {
    if (b.lang === 'json') {
      try {
        JSON.parse(b.code);
      } catch (err) {
        throw new DocError(`${this.doc}:${b.line}: the JSON example does not parse: ${String(err)}`);
      }
      return;
    }
    const p = this.proc ?? this.start();
    const i = ++this.n;
    const marker = `__doc_block_${i}_done__`;
    const from = this.out.length;
    let script: string;
    if (b.lang === 'js') {
      writeFileSync(join(this.dir, `example-${i}.mjs`), b.code);
      script = `node example-${i}.mjs < /dev/null\n`;
    } else if (b.background) {
      writeFileSync(join(this.dir, `background-${i}.sh`), b.code);
      // In a subshell of the session (it sees the exports and aliases so far), logs to a file.
      script =
        `( source background-${i}.sh ) > background-${i}.log 2>&1 < /dev/null &\n` +
        `until ( ${b.ready ?? 'true'} ) > /dev/null 2>&1 < /dev/null; do sleep 0.5; done\n`;
    } else {
      writeFileSync(join(this.dir, `block-${i}.sh`), b.code);
      script = `source block-${i}.sh < /dev/null\n`;
    }
    p.stdin?.write(`${script}echo ${marker}\n`);
    const deadline = Date.now() + b.timeoutMs;
    for (;;) {
      if (this.out.indexOf(marker, from) >= 0) return;
      if (this.exit !== undefined)
        throw new DocError(
          `${this.doc}:${b.line}: the ${b.lang} example failed (exit ${this.exit}); its output:\n${this.out.slice(from).slice(-6000)}`,
        );
      if (Date.now() > deadline)
        throw new DocError(
          `${this.doc}:${b.line}: the ${b.lang} example did not finish within ${b.timeoutMs / 1000} s; its output:\n` +
            this.out.slice(from).slice(-6000),
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  output(): string {
    return this.out;
  }

  /** Stops the session and everything it started in the background (its process group). */
  async close(): Promise<void> {
    const p = this.proc;
    if (p?.pid === undefined) return;
    const gone = new Promise<void>((r) => (this.exit !== undefined ? r() : p.once('exit', () => r())));
    try {
      process.kill(-p.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const t = setTimeout(() => {
      try {
        process.kill(-(p.pid as number), 'SIGKILL');
      } catch {}
    }, 30_000);
    await gone;
    clearTimeout(t);
  }
}
