/**
 * The last blocks' activity, read from public data only (headers, commit certificates, tx hashes):
 * who signed each block, which blocks needed more than one round, how long each block took to be
 * final and how many transactions it carried. One JSON-RPC batch per load (bounded by WINDOW).
 */
import type { MedchainClient, ValidatorJson } from '../client/index.js';

/** Blocks read back from the head: a few minutes at devnet speed, one batch under the node's 100-call limit. */
export const WINDOW = 30;

export interface BlockStat {
  height: number;
  /** Block time, ms. */
  time: number;
  /** The consensus round that committed it (0: the first proposal). */
  round: number;
  txs: number;
  /** Ids of the validators whose votes are in its commit certificate. */
  signers: string[];
  /** Ids of the set in force at this height (the set its header names). */
  set: string[];
}

export interface ValidatorActivity {
  id: string;
  power: number;
  /** Blocks in the window where it was in the set. */
  due: number;
  signed: number;
  /** Heights where it was in the set but not in the certificate, newest first. */
  missed: number[];
  lastSigned: number | null;
}

export interface Activity {
  blocks: BlockStat[];
  validators: ValidatorActivity[];
  /** Heights committed after round 0, newest first. */
  laterRounds: { height: number; round: number }[];
  /** Per block after the first: seconds since the previous block (BFT: a block is final once committed). */
  intervals: { height: number; ms: number }[];
  /** Per block after the first: its txs over its interval. */
  throughput: { height: number; perSecond: number }[];
}

interface Commit {
  round: number;
  signatures: { validatorIndex: number }[];
}

/**
 * The last `window` blocks up to a head, kept as the head moves: each update reads only the heights
 * it lacks (one batch) and each validator set once (by the hash the headers name).
 */
export class ActivityLoader {
  private readonly blocks = new Map<number, BlockStat>();
  private readonly sets = new Map<string, string[]>();

  constructor(
    private readonly client: MedchainClient,
    private readonly window = WINDOW,
  ) {}

  async update(head: number): Promise<BlockStat[]> {
    const from = Math.max(1, head - this.window + 1);
    for (const h of this.blocks.keys()) if (h < from) this.blocks.delete(h);
    const heights: number[] = [];
    for (let h = from; h <= head; h++) if (!this.blocks.has(h)) heights.push(h);
    const replies = await this.client.batch(
      heights.flatMap((block) => [
        { method: 'chain_getHeader' as const, params: { block } },
        { method: 'chain_getCommit' as const, params: { block } },
        { method: 'chain_getBlock' as const, params: { block } },
      ]),
    );
    const rows = heights.flatMap((height, i) => {
      const [h, c, b] = [replies[3 * i], replies[3 * i + 1], replies[3 * i + 2]];
      // A block this node does not serve (snapshot join) is left out, not shown as missed.
      if (!h?.ok || !c?.ok || !b?.ok) return [];
      const header = h.result as { time: number; validatorsHash: string };
      return [{ height, header, commit: c.result as Commit, txs: (b.result as { txs: unknown[] }).txs.length }];
    });
    const unknown = new Map<string, number>();
    for (const r of rows)
      if (!this.sets.has(r.header.validatorsHash) && !unknown.has(r.header.validatorsHash))
        unknown.set(r.header.validatorsHash, r.height);
    const setReplies = await this.client.batch(
      [...unknown.values()].map((block) => ({ method: 'chain_getValidators' as const, params: { block } })),
    );
    [...unknown.keys()].forEach((hash, i) => {
      const r = setReplies[i];
      if (r?.ok)
        this.sets.set(
          hash,
          (r.result as ValidatorJson[]).map((v) => v.id),
        );
    });
    for (const r of rows) {
      const set = this.sets.get(r.header.validatorsHash);
      if (set === undefined) continue;
      const signers = r.commit.signatures.flatMap((s) => {
        const id = set[s.validatorIndex];
        return id === undefined ? [] : [id];
      });
      this.blocks.set(r.height, {
        height: r.height,
        time: r.header.time,
        round: r.commit.round,
        txs: r.txs,
        signers,
        set,
      });
    }
    return [...this.blocks.values()];
  }
}

/** Folds the blocks (any order) into per-validator records and the two series; `powers` names today's set. */
export function summarize(blocks: readonly BlockStat[], powers: readonly ValidatorJson[]): Activity {
  const sorted = [...blocks].sort((a, b) => a.height - b.height);
  const byId = new Map<string, ValidatorActivity>();
  const get = (id: string): ValidatorActivity => {
    let v = byId.get(id);
    if (v === undefined) {
      v = { id, power: powers.find((p) => p.id === id)?.power ?? 0, due: 0, signed: 0, missed: [], lastSigned: null };
      byId.set(id, v);
    }
    return v;
  };
  for (const p of powers) get(p.id);
  for (const b of sorted) {
    const signed = new Set(b.signers);
    for (const id of b.set) {
      const v = get(id);
      v.due++;
      if (signed.has(id)) {
        v.signed++;
        v.lastSigned = b.height;
      } else v.missed.unshift(b.height);
    }
  }
  const intervals: Activity['intervals'] = [];
  const throughput: Activity['throughput'] = [];
  for (let i = 1; i < sorted.length; i++) {
    const [prev, b] = [sorted[i - 1] as BlockStat, sorted[i] as BlockStat];
    // Only consecutive heights: a gap (a block not served) would stretch the interval.
    if (b.height !== prev.height + 1) continue;
    const ms = b.time - prev.time;
    intervals.push({ height: b.height, ms });
    throughput.push({ height: b.height, perSecond: ms > 0 ? (b.txs * 1000) / ms : 0 });
  }
  return {
    blocks: sorted,
    validators: [...byId.values()],
    laterRounds: sorted
      .filter((b) => b.round > 0)
      .map((b) => ({ height: b.height, round: b.round }))
      .reverse(),
    intervals,
    throughput,
  };
}

/** Median and maximum of a series (0 for an empty one). */
export function spread(xs: readonly number[]): { median: number; max: number } {
  if (xs.length === 0) return { median: 0, max: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median, max: s[s.length - 1] as number };
}
