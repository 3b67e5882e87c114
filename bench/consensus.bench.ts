/**
 * Consensus throughput on one core: 4 validators in one process, messages
 * delivered instantly (no network, no delays, no timeouts firing), every
 * proposal and vote signed and verified with real ed25519 (node:crypto,
 * cached KeyObjects). WAL writes go to memory: no fsync is included (on a
 * real disk each validator pays ~3 fsyncs per block). So the figures are the
 * engine's own ceiling plus signature cost, not a network's block rate.
 *
 * Limit (ratio denominator): the time one block needs for its ed25519
 * signatures and verifies (every validator checks every other validator's messages) plus
 * the executor stand-in's work, both measured in the same run; the ratio
 * shows what the engine itself adds.
 *
 * consensus.sim.blocks: empty blocks.
 * consensus.sim.tx: full blocks of 10,000 transactions of 200 bytes. The
 *   executor is a stand-in: building encodes the block; validating decodes
 *   it canonically and hashes every transaction (a Merkle-leaf stand-in) on
 *   each of the 3 other validators. NOT included: transaction signature
 *   checks (done once at mempool admission), state execution and LevelDB
 *   commits, network transfer of the ~2 MB proposal.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import type { Action } from '../consensus/engine/actions.js';
import { ConsensusEngine } from '../consensus/engine/engine.js';
import {
  encodeCommit,
  encodeProposal,
  encodeVote,
  proposalSignBytes,
  voteSignBytes,
} from '../consensus/engine/messages.js';
import type { Proposal, Vote } from '../consensus/engine/types.js';
import { ValidatorSet } from '../consensus/engine/validator-set.js';
import { toHex, u32be } from '../src/codec/bytes.js';
import { asArray, asBytes, decodeCanonical, encode } from '../src/codec/cbor.js';
import { sha256 } from '../src/crypto/hash.js';
import { round } from './measure.js';
import type { BenchContext, Benchmark, BenchResult } from './types.js';

const N = 4;

interface Key {
  pub: Uint8Array;
  priv: KeyObject;
}

function keys(n = N): Key[] {
  return Array.from({ length: n }, () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const x = publicKey.export({ format: 'jwk' }).x as string;
    return {
      pub: new Uint8Array(Buffer.from(x, 'base64url')),
      priv: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })),
    };
  });
}

const pubCache = new Map<string, KeyObject>();
function ed25519Verify(pk: Uint8Array, bytes: Uint8Array, sig: Uint8Array): boolean {
  const k = toHex(pk);
  let key = pubCache.get(k);
  if (!key) {
    key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pk).toString('base64url') },
      format: 'jwk',
    });
    pubCache.set(k, key);
  }
  return verify(null, bytes, key, sig);
}

interface Stand {
  build(height: number, prev: Uint8Array): Uint8Array;
  validate(block: Uint8Array): boolean;
}

const emptyBlocks: Stand = {
  build: (h, prev) => encode([h, prev, []]),
  validate: () => true,
};

function fullBlocks(txCount: number, txBytes: number): Stand {
  // One pool of distinct transactions reused by every block: building a block is encoding, not generating.
  const pool = Array.from({ length: txCount }, (_, i) => {
    const t = new Uint8Array(txBytes);
    new DataView(t.buffer).setUint32(0, i);
    return t;
  });
  return {
    build: (h, prev) => encode([h, prev, pool]),
    validate: (block) => {
      const t = decodeCanonical(block, 64 << 20) as unknown[];
      for (const tx of asArray(t[2], 'txs', txCount)) sha256(asBytes(tx, 'tx'));
      return true;
    },
  };
}

interface NetworkRun {
  verifies: number;
  signs: number;
  committed: number;
  /** Messages delivered (each broadcast reaches the n-1 others) and their encoded bytes. */
  messages: number;
  bytes: number;
  /** Encoded size of the last commit certificate. */
  certBytes: number;
}

/** Runs one engine per key to `heights` commits; returns verifies performed and messages delivered. */
function runNetwork(stand: Stand, heights: number, ks: Key[], set: ValidatorSet): NetworkRun {
  const n = ks.length;
  let signs = 0;
  let messages = 0;
  let bytes = 0;
  let certBytes = 0;
  const engines = ks.map(
    (k) =>
      new ConsensusEngine(
        { emptyBlockIntervalMs: 0 },
        {
          pubkey: k.pub,
          signer: {
            sign: (b) => {
              signs++;
              return new Uint8Array(sign(null, b, k.priv));
            },
          },
          verify: ed25519Verify,
        },
      ),
  );
  const tips: Uint8Array[] = engines.map(() => new Uint8Array(32));
  /** Instant delivery: a FIFO of engine calls, each tagged with its node. */
  const queue: { node: number; run: () => Action[] }[] = [];
  let verifies = 0;
  let committed = 0;
  const deliver = (to: number, msg: { vote: Vote } | { proposal: Proposal }): void => {
    queue.push({
      node: to,
      run: () => {
        const e = engines[to] as ConsensusEngine;
        // The caller's job before the engine sees a message: check its signature.
        verifies++;
        if ('vote' in msg) {
          const pk = set.pubkey(msg.vote.validatorIndex);
          return pk && ed25519Verify(pk, voteSignBytes(msg.vote), msg.vote.signature) ? e.vote(msg.vote) : [];
        }
        const pk = set.pubkey(msg.proposal.proposerIndex);
        return pk && ed25519Verify(pk, proposalSignBytes(msg.proposal), msg.proposal.signature)
          ? e.proposal(msg.proposal)
          : [];
      },
    });
  };
  const perform = (i: number, acts: Action[]): void => {
    const e = engines[i] as ConsensusEngine;
    for (const a of acts) {
      if (a.type === 'broadcastVote' || a.type === 'broadcastProposal') {
        const msg = a.type === 'broadcastVote' ? { vote: a.vote } : { proposal: a.proposal };
        const size = a.type === 'broadcastVote' ? encodeVote(a.vote).length : encodeProposal(a.proposal).length;
        messages += n - 1;
        bytes += size * (n - 1);
        for (let to = 0; to < n; to++) if (to !== i) deliver(to, msg);
      } else if (a.type === 'buildBlock') {
        queue.push({
          node: i,
          run: () => {
            const b = stand.build(a.height, tips[i] as Uint8Array);
            return e.blockBuilt(a.height, a.round, b, sha256(b));
          },
        });
      } else if (a.type === 'validateProposal') {
        queue.push({
          node: i,
          run: () => e.proposalValidated(a.height, a.round, a.blockHash, stand.validate(a.block)),
        });
      } else if (a.type === 'commit') {
        tips[i] = a.cert.blockHash;
        if (i === 0) {
          committed = a.height;
          certBytes = encodeCommit(a.cert).length;
        }
        queue.push({ node: i, run: () => e.committed(a.height, set) });
      }
    }
  };
  engines.forEach((e, i) => {
    perform(i, e.start(1, set));
  });
  let head = 0;
  while (committed < heights) {
    const next = queue[head++];
    if (!next) throw new Error('network stalled');
    perform(next.node, next.run());
    if (head > 4096) {
      queue.splice(0, head);
      head = 0;
    }
  }
  return { verifies, signs, committed, messages, bytes, certBytes };
}

async function measure(ctx: BenchContext, id: string, stand: Stand, txPerBlock: number): Promise<BenchResult> {
  const seconds = Number(ctx.flags.seconds ?? 3);
  const ks = keys();
  const set = new ValidatorSet(ks.map((k, i) => ({ id: sha256(new Uint8Array([i])), pubkey: k.pub, power: 1 })));
  // Physical limit: raw ed25519 verifies per second in this process.
  const msg = new Uint8Array(64);
  const sig = new Uint8Array(sign(null, msg, (ks[0] as Key).priv));
  const t0 = process.hrtime.bigint();
  let v = 0;
  while (process.hrtime.bigint() - t0 < 500_000_000n) {
    ed25519Verify((ks[0] as Key).pub, msg, sig);
    v++;
  }
  const verifyPerS = v / 0.5;
  const s1 = process.hrtime.bigint();
  let signed = 0;
  while (process.hrtime.bigint() - s1 < 300_000_000n) {
    sign(null, msg, (ks[0] as Key).priv);
    signed++;
  }
  const signPerS = signed / 0.3;
  // The executor stand-in's own cost per block: one build, validation on the 3 other validators.
  const sample = stand.build(1, new Uint8Array(32));
  // Fastest of several repetitions: the machine is shared, the limit should not carry its noise.
  let standS = Number.POSITIVE_INFINITY;
  for (let reps = 0; reps < 8; reps++) {
    const s0 = process.hrtime.bigint();
    stand.build(1, new Uint8Array(32));
    for (let k = 1; k < N; k++) stand.validate(sample);
    sha256(sample);
    standS = Math.min(standS, Number(process.hrtime.bigint() - s0) / 1e9);
  }
  const probe = runNetwork(stand, 3, ks, set);
  const perBlock = probe.verifies / probe.committed;
  const signsPerBlock = probe.signs / probe.committed;
  let heights = 2;
  let elapsed = 0;
  let blocks = 0;
  while (elapsed < seconds) {
    const start = process.hrtime.bigint();
    const r = runNetwork(stand, heights, ks, set);
    elapsed += Number(process.hrtime.bigint() - start) / 1e9;
    blocks += r.committed;
    heights = Math.min(heights * 2, 512);
  }
  const blocksPerS = blocks / elapsed;
  // Limit: signing, verifying and the executor stand-in, with zero engine overhead.
  const limit = 1 / (perBlock / verifyPerS + signsPerBlock / signPerS + standS);
  ctx.log(
    `${id}: ${round(blocksPerS, 1)} blocks/s, ${round(perBlock, 1)} verifies/block, ${round(verifyPerS)} verifies/s raw`,
  );
  return {
    id,
    ops_per_s: round(blocksPerS * txPerBlock, 1),
    limit_ops_per_s: round(limit * txPerBlock, 1),
    ratio: round(blocksPerS / limit, 3),
    blocks_per_s: round(blocksPerS, 1),
    verifies_per_block: round(perBlock, 1),
    validators: N,
  };
}

/**
 * consensus.scale: messages and bytes per finalized (empty) block as the
 * validator set grows, every message delivered to every other validator as
 * over a full mesh, signed and verified for real. Votes dominate: each of n
 * validators sends a prevote and a precommit to n-1 others, so both grow as
 * n^2 per block (gossip relays add to the bytes on the wire, not counted).
 * ops_per_s: blocks/s at the largest set; the curve is in `curve`.
 */
async function scale(ctx: BenchContext): Promise<BenchResult> {
  const sizes = String(ctx.flags.validators ?? '4,10,25,50,100')
    .split(',')
    .map(Number)
    .filter((x) => Number.isInteger(x) && x >= 1 && x <= 1024);
  const heights = Number(ctx.flags.heights ?? 3);
  const curve: Record<string, number>[] = [];
  let last = 0;
  for (const n of sizes) {
    const ks = keys(n);
    const set = new ValidatorSet(ks.map((k, i) => ({ id: sha256(u32be(i)), pubkey: k.pub, power: 1 })));
    const t0 = process.hrtime.bigint();
    const r = runNetwork(emptyBlocks, heights, ks, set);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const row = {
      validators: n,
      messages_per_block: round(r.messages / r.committed, 1),
      kib_per_block: round(r.bytes / r.committed / 1024, 1),
      verifies_per_block: round(r.verifies / r.committed, 1),
      cert_bytes: r.certBytes,
      cpu_ms_per_block_all: round((s * 1000) / r.committed, 1),
    };
    ctx.log(JSON.stringify(row));
    curve.push(row);
    last = r.committed / s;
  }
  return { id: 'consensus.scale', ops_per_s: round(last, 2), unit: 'blocks at the largest set', curve };
}

export const benchmarks: Benchmark[] = [
  { id: 'consensus.scale', default: false, run: scale },
  { id: 'consensus.sim.blocks', run: (ctx) => measure(ctx, 'consensus.sim.blocks', emptyBlocks, 1) },
  {
    id: 'consensus.sim.tx',
    run: (ctx) => measure(ctx, 'consensus.sim.tx', fullBlocks(10_000, 200), 10_000),
  },
];
