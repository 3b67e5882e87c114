/**
 * Full disks for the chaos harness: each node's home on its own small tmpfs.
 * fill() takes every free block (a filler file), free() gives them back. The
 * node must notice, stop cleanly and, restarted once space is back, go on
 * with nothing lost. Mounts are removed by unmountSync(), also on exit.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });

const all = new Set<TmpfsDisks>();
process.once('exit', () => {
  for (const d of all) d.unmountSync();
});

const FILLER = '.chaos-filler';
const FILL_ROUNDS = 4;

/** Why tmpfs mounts cannot be used here, or null when they can (tried for real). */
export function tmpfsUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (mount needs CAP_SYS_ADMIN)';
  const dir = mkdtempSync(join(tmpdir(), 'medchain-tmpfs-probe-'));
  try {
    run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    run('umount', [dir]);
    return null;
  } catch (err) {
    return `mount -t tmpfs failed: ${String((err as { stderr?: unknown }).stderr ?? err).trim()}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class TmpfsDisks {
  private readonly mounted: string[] = [];

  private constructor() {
    all.add(this);
  }

  /** Mounts a tmpfs of `mb` MiB over each directory, keeping what the directory held. */
  static mount(dirs: readonly string[], mb: number): TmpfsDisks {
    const d = new TmpfsDisks();
    try {
      for (const dir of dirs) {
        const keep = mkdtempSync(join(tmpdir(), 'medchain-tmpfs-keep-'));
        cpSync(dir, keep, { recursive: true });
        run('mount', ['-t', 'tmpfs', '-o', `size=${mb}m,mode=0700`, 'tmpfs', dir]);
        d.mounted.push(dir);
        cpSync(keep, dir, { recursive: true });
        rmSync(keep, { recursive: true, force: true });
      }
    } catch (err) {
      d.unmountSync();
      throw err;
    }
    return d;
  }

  /** Free bytes on the disk holding `dir`. */
  static freeBytes(dir: string): number {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  }

  /**
   * Takes every free block of the disk under `dir`. The node writes meanwhile, so a fallocate of
   * what was free a moment ago can itself fail with ENOSPC: then the next round takes what is left.
   */
  fill(dir: string): void {
    for (let i = 0; i < FILL_ROUNDS; i++) {
      const free = TmpfsDisks.freeBytes(dir);
      if (free === 0) return;
      try {
        run('fallocate', ['-l', String(free), join(dir, `${FILLER}${i}`)]);
      } catch {}
    }
  }

  free(dir: string): void {
    for (let i = 0; i < FILL_ROUNDS; i++) rmSync(join(dir, `${FILLER}${i}`), { force: true });
  }

  /** Lazily unmounts everything mounted (the data goes with it); idempotent, never throws. */
  unmountSync(): void {
    all.delete(this);
    for (const dir of this.mounted.splice(0))
      try {
        run('umount', ['-l', dir]);
      } catch {}
  }
}
