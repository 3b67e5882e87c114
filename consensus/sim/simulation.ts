import { equal } from '../../src/codec/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { Action, TimeoutKind } from '../engine/actions.js';
import { isValidCommit } from '../engine/certificate.js';
import { ConsensusEngine } from '../engine/engine.js';
import { type CommitCertificate, type Proposal, SignStep, signStepOf, type Vote } from '../engine/types.js';
import type { ValidatorSet } from '../engine/validator-set.js';
import { hashKey } from '../engine/vote-set.js';
import { Byzantine } from './byzantine.js';
import { SimExecutor } from './executor.js';
import { type Keyring, type SimKey, simValidators } from './keys.js';
import { SimLog } from './log.js';
import { Rng } from './prng.js';
import { EventQueue } from './queue.js';
import type { ScenarioConfig } from './scenario.js';

type Msg = { proposal: Proposal } | { vote: Vote };

type Ev =
  | { k: 'deliver'; to: number; msg: Msg }
  | { k: 'timer'; node: number; epoch: number; kind: TimeoutKind; h: number; r: number }
  | { k: 'build'; node: number; epoch: number; h: number; r: number; minTime: number }
  | { k: 'validate'; node: number; epoch: number; h: number; r: number; block: Uint8Array; hash: Uint8Array }
  | { k: 'sync'; node: number; epoch: number; peer: number; from: number }
  | { k: 'tx' }
  | { k: 'gossipTx'; to: number; tx: number }
  | { k: 'crash' }
  | { k: 'restart'; node: number }
  | { k: 'partition' }
  | { k: 'unpartition' }
  | { k: 'heal' };

interface SimNode {
  i: number;
  key: SimKey;
  byz: Byzantine | undefined;
  up: boolean;
  /** Incarnation: events addressed to an earlier one are dropped. */
  epoch: number;
  engine: ConsensusEngine | undefined;
  log: SimLog;
  exec: SimExecutor;
  /** Crash after this many more actions (a crash in the middle of a batch). */
  crashIn: number;
}

export interface ScenarioResult {
  seed: number;
  safety: string[];
  liveness: string[];
  heights: number;
  events: number;
  simMs: number;
  /** Simulated time from healing until every honest validator committed 2 more heights. */
  recoveryMs: number;
}

/**
 * One deterministic run: n validators in one process over a simulated network
 * and clock. Safety is checked at every commit and every signed message;
 * liveness and transaction delivery after the network heals.
 */
export class Simulation {
  private readonly rng: Rng;
  private readonly net: Rng;
  private readonly q = new EventQueue<Ev>();
  private readonly nodes: SimNode[];
  private readonly set: ValidatorSet;
  private readonly keyring: Keyring;
  private now = 0;
  private healed = false;
  private group: number[];
  private readonly decided = new Map<number, Uint8Array>();
  private readonly signed = new Map<string, string>();
  private nextTx = 1;
  private clientsOn = true;
  private phase: 'faults' | 'liveness' | 'catchUp' | 'done' = 'faults';
  private target = 0;
  private deadline = Number.POSITIVE_INFINITY;
  private healedAt = 0;
  private recoveryMs = -1;
  readonly safety: string[] = [];
  readonly liveness: string[] = [];

  constructor(private readonly cfg: ScenarioConfig) {
    this.rng = new Rng(cfg.seed ^ 0x5eed);
    this.net = this.rng.fork();
    const { keys, keyring, set } = simValidators(cfg.validators);
    this.set = set;
    this.keyring = keyring;
    this.group = keys.map(() => 0);
    this.nodes = keys.map((key, i) => {
      const b = cfg.byzantine.find((x) => x.index === i);
      return {
        i,
        key,
        byz: b ? new Byzantine(b.mode, i, key, this.rng.fork()) : undefined,
        up: false,
        epoch: 0,
        engine: undefined,
        log: new SimLog(),
        exec: new SimExecutor(),
        crashIn: -1,
      };
    });
  }

  run(): ScenarioResult {
    const c = this.cfg;
    for (const n of this.nodes) this.boot(n);
    this.q.push(this.rng.range(0, c.txIntervalMs), { k: 'tx' });
    for (let p = 0; p < c.partitions; p++) this.q.push(this.rng.range(0, c.faultMs), { k: 'partition' });
    for (let k = 0; k < c.crashes; k++) this.q.push(this.rng.range(0, c.faultMs), { k: 'crash' });
    this.q.push(c.faultMs, { k: 'heal' });
    let events = 0;
    while (this.phase !== 'done') {
      const e = this.q.pop();
      if (!e) {
        this.liveness.push('no events left');
        break;
      }
      this.now = e.time;
      if (this.now > this.deadline) {
        this.liveness.push(
          `${this.phase} deadline at t=${this.now} (target ${this.target}, heights ${this.heights()})`,
        );
        if (process.env.SIM_DEBUG) for (const n of this.nodes) console.log(n.i, n.engine?.describe());
        break;
      }
      if (++events > c.maxEvents) {
        this.liveness.push(`event budget exhausted at t=${this.now}`);
        break;
      }
      this.dispatch(e.item);
    }
    return {
      seed: c.seed,
      safety: this.safety,
      liveness: this.liveness,
      heights: Math.max(...this.honest().map((n) => n.exec.height)),
      events,
      simMs: this.now,
      recoveryMs: this.recoveryMs,
    };
  }

  // ------------------------------------------------------------ events

  private dispatch(e: Ev): void {
    switch (e.k) {
      case 'deliver': {
        const n = this.nodes[e.to] as SimNode;
        if (!n.engine) return;
        this.exec(n, 'vote' in e.msg ? n.engine.vote(e.msg.vote) : n.engine.proposal(e.msg.proposal));
        return;
      }
      case 'timer': {
        const n = this.live(e.node, e.epoch);
        if (n?.engine) this.exec(n, n.engine.timeout(e.kind, e.h, e.r));
        return;
      }
      case 'build': {
        const n = this.live(e.node, e.epoch);
        if (!n?.engine || n.exec.height + 1 !== e.h) return;
        const b = n.exec.build(e.h, Math.max(this.now, e.minTime));
        this.exec(n, n.engine.blockBuilt(e.h, e.r, b.block, b.hash));
        return;
      }
      case 'validate': {
        const n = this.live(e.node, e.epoch);
        if (!n?.engine) return;
        const res = n.exec.height + 1 === e.h ? n.exec.validate(e.h, e.block) : { valid: false, hash: e.hash };
        this.exec(n, n.engine.proposalValidated(e.h, e.r, e.hash, res.valid && equal(res.hash, e.hash)));
        return;
      }
      case 'sync':
        this.deliverSync(e.node, e.epoch, e.peer, e.from);
        return;
      case 'tx':
        this.clientTx();
        return;
      case 'gossipTx': {
        const n = this.nodes[e.to] as SimNode;
        if (n.engine && n.exec.addTx(e.tx)) this.exec(n, n.engine.txsAvailable());
        return;
      }
      case 'crash':
        this.crashSomeone();
        return;
      case 'restart': {
        const n = this.nodes[e.node] as SimNode;
        if (!n.up) this.boot(n);
        return;
      }
      case 'partition': {
        if (this.healed) return;
        this.group = this.nodes.map(() => this.rng.int(2));
        this.q.push(this.now + this.rng.range(1000, 15_000), { k: 'unpartition' });
        return;
      }
      case 'unpartition':
        this.group = this.nodes.map(() => 0);
        return;
      case 'heal':
        this.heal();
        return;
    }
  }

  private live(i: number, epoch: number): SimNode | undefined {
    const n = this.nodes[i] as SimNode;
    return n.up && n.epoch === epoch ? n : undefined;
  }

  private honest(): SimNode[] {
    return this.nodes.filter((n) => !n.byz);
  }

  private heights(): string {
    return this.nodes.map((n) => `${n.exec.height}${n.byz ? 'b' : n.up ? '' : 'x'}`).join(',');
  }

  // ------------------------------------------------------------ node lifecycle

  private boot(n: SimNode): void {
    n.up = true;
    n.crashIn = -1;
    n.engine = new ConsensusEngine(this.cfg.opts, {
      pubkey: n.key.pubkey,
      signer: n.key.signer,
      verify: this.keyring.verify,
    });
    const tip = n.exec.chain[n.exec.chain.length - 1];
    this.exec(
      n,
      n.engine.start(n.exec.height + 1, this.set, tip?.time, {
        wal: n.log.entries(),
        ...(tip ? { lastCommit: tip.cert } : {}),
      }),
    );
  }

  private crash(n: SimNode): void {
    n.up = false;
    n.engine = undefined;
    n.epoch++;
    n.crashIn = -1;
    n.log.crash(this.rng.int(4));
    n.exec.mempool = new Set();
    if (!this.healed) this.q.push(this.now + this.rng.range(200, 10_000), { k: 'restart', node: n.i });
  }

  private crashSomeone(): void {
    if (this.healed) return;
    const up = this.honest().filter((n) => n.up);
    if (up.length === 0) return;
    const n = this.rng.pick(up);
    // Half the crashes land inside an action batch: between persisting and sending, mid-commit...
    if (this.rng.chance(0.5)) n.crashIn = this.rng.int(6);
    else this.crash(n);
  }

  private heal(): void {
    this.healed = true;
    this.group = this.nodes.map(() => 0);
    for (const n of this.nodes) n.crashIn = -1;
    for (const n of this.nodes) if (!n.up) this.boot(n);
    this.healedAt = this.now;
    this.phase = 'liveness';
    this.target = Math.max(...this.honest().map((n) => n.exec.height)) + 2;
    this.deadline = this.now + this.cfg.livenessMs;
    this.checkPhase();
  }

  private checkPhase(): void {
    const min = Math.min(...this.honest().map((n) => n.exec.height));
    if (this.phase === 'liveness' && min >= this.target) {
      this.recoveryMs = this.now - this.healedAt;
      // Clients stop; every tx committed anywhere so far must reach every honest chain.
      this.clientsOn = false;
      this.phase = 'catchUp';
      this.target = Math.max(...this.honest().map((n) => n.exec.height));
      this.deadline = this.now + this.cfg.catchUpMs;
    }
    if (this.phase === 'catchUp' && min >= this.target) {
      this.phase = 'done';
      const seen = new Set<number>();
      for (const n of this.honest())
        for (const e of n.exec.chain.slice(0, this.target)) for (const t of e.txs) seen.add(t);
      for (const n of this.honest())
        for (const t of seen) if (!n.exec.committed.has(t)) this.liveness.push(`tx ${t} missing at validator ${n.i}`);
    }
  }

  // ------------------------------------------------------------ actions

  /** Performs a node's actions in order, as the real driver does (commit applies inline). */
  private exec(n: SimNode, first: Action[]): void {
    const batches: Action[][] = [first];
    for (let b = batches.shift(); b; b = batches.shift()) {
      for (const a of b) {
        if (!n.up || !n.engine) return;
        if (n.crashIn >= 0 && n.crashIn-- === 0) {
          this.crash(n);
          return;
        }
        const more = this.perform(n, n.engine, a);
        if (more) batches.push(more);
      }
    }
  }

  private perform(n: SimNode, engine: ConsensusEngine, a: Action): Action[] | undefined {
    switch (a.type) {
      case 'persistSignState':
        n.log.append(a.entry, true);
        return;
      case 'walAppend':
        n.log.append(a.entry, false);
        return;
      case 'walNewHeight':
        n.log.newHeight();
        return;
      case 'broadcastProposal':
      case 'broadcastVote': {
        const msg: Msg = a.type === 'broadcastVote' ? { vote: a.vote } : { proposal: a.proposal };
        this.checkSigned(n, msg);
        if (n.byz) for (const [to, m] of n.byz.outgoing(msg, this.others(n), n.exec)) this.send(n.i, to, m);
        else for (const to of this.others(n)) this.send(n.i, to, msg);
        return;
      }
      case 'scheduleTimeout':
        this.q.push(this.now + a.ms, { k: 'timer', node: n.i, epoch: n.epoch, kind: a.kind, h: a.height, r: a.round });
        return;
      case 'buildBlock':
        this.q.push(this.now + this.rng.range(1, 20), { k: 'build', node: n.i, epoch: n.epoch, ...pick(a) });
        return;
      case 'validateProposal':
        this.q.push(this.now + this.rng.range(1, 20), {
          k: 'validate',
          node: n.i,
          epoch: n.epoch,
          h: a.height,
          r: a.round,
          block: a.block,
          hash: a.blockHash,
        });
        return;
      case 'commit': {
        this.onCommit(n, a.height, a.block, a.cert);
        const more = engine.committed(a.height, this.set, n.exec.tipTime);
        return n.exec.mempool.size > 0 ? [...more, ...engine.txsAvailable()] : more;
      }
      case 'requestSync': {
        const peers = this.nodes.filter((p) => p !== n && p.up && p.exec.height >= a.fromHeight);
        if (peers.length === 0) return;
        const peer = this.rng.pick(peers);
        this.q.push(this.now + this.delay() * 2, {
          k: 'sync',
          node: n.i,
          epoch: n.epoch,
          peer: peer.i,
          from: a.fromHeight,
        });
        return;
      }
      case 'evidence':
        if (!this.nodes[a.voteA.validatorIndex]?.byz)
          this.safety.push(`evidence against honest validator ${a.voteA.validatorIndex} at h=${a.voteA.height}`);
        return;
      case 'proposalEvidence':
        if (!this.nodes[a.proposalA.proposerIndex]?.byz)
          this.safety.push(`proposal evidence against honest validator ${a.proposalA.proposerIndex}`);
        return;
    }
  }

  private others(n: SimNode): number[] {
    return this.nodes.filter((p) => p !== n).map((p) => p.i);
  }

  /** Up to 16 blocks with certificates from a peer, as block sync would deliver them. */
  private deliverSync(i: number, epoch: number, peerIndex: number, from: number): void {
    const n = this.live(i, epoch);
    const peer = this.nodes[peerIndex] as SimNode;
    const start = Math.max(from, n?.engine?.height ?? from);
    for (let h = start; n?.engine && h <= Math.min(peer.exec.height, start + 15); h++) {
      const e = peer.exec.chain[h - 1];
      if (!e || n.engine.height !== h || !equal(sha256(e.block), e.cert.blockHash)) return;
      this.exec(n, n.engine.synced(h, e.block, e.cert));
    }
  }

  // ------------------------------------------------------------ network

  private delay(): number {
    const c = this.cfg;
    if (this.healed) return this.net.range(1, 50);
    if (this.net.chance(c.longDelayP)) return this.net.range(500, 5000);
    return this.net.range(c.delayMinMs, c.delayMaxMs);
  }

  private send(from: number, to: number, msg: Msg): void {
    if (!this.healed) {
      if (this.group[from] !== this.group[to] || this.net.chance(this.cfg.dropP)) return;
      if (this.net.chance(this.cfg.dupP)) this.q.push(this.now + this.delay(), { k: 'deliver', to, msg });
    }
    this.q.push(this.now + this.delay(), { k: 'deliver', to, msg });
  }

  private clientTx(): void {
    if (!this.clientsOn) return;
    this.q.push(this.now + this.rng.range(1, 2 * this.cfg.txIntervalMs), { k: 'tx' });
    const n = this.rng.pick(this.nodes);
    if (!n.engine) return; // the client's request fails; it never sees this tx committed
    const tx = this.nextTx++;
    if (n.exec.addTx(tx)) this.exec(n, n.engine.txsAvailable());
    for (const to of this.others(n)) {
      if (!this.healed && (this.group[n.i] !== this.group[to] || this.net.chance(this.cfg.dropP))) continue;
      this.q.push(this.now + this.delay(), { k: 'gossipTx', to, tx });
    }
  }

  // ------------------------------------------------------------ checks

  private onCommit(n: SimNode, height: number, block: Uint8Array, cert: CommitCertificate): void {
    const hash = sha256(block);
    if (height !== n.exec.height + 1) this.safety.push(`validator ${n.i} committed h=${height} at ${n.exec.height}`);
    n.exec.commit(block, hash, cert);
    if (n.byz) return;
    if (!equal(cert.blockHash, hash) || !isValidCommit(cert, this.set, this.keyring.verify, height))
      this.safety.push(`validator ${n.i} committed h=${height} without a valid certificate`);
    const prior = this.decided.get(height);
    if (!prior) this.decided.set(height, hash);
    else if (!equal(prior, hash)) this.safety.push(`conflicting commits at h=${height} (validator ${n.i})`);
    if (this.phase !== 'faults') this.checkPhase();
  }

  /** No honest validator ever signs two different messages for one (height, round, step). */
  private checkSigned(n: SimNode, msg: Msg): void {
    if (n.byz) return;
    const [who, h, r, step, hash] =
      'vote' in msg
        ? [msg.vote.validatorIndex, msg.vote.height, msg.vote.round, signStepOf(msg.vote.type), msg.vote.blockHash]
        : [
            msg.proposal.proposerIndex,
            msg.proposal.height,
            msg.proposal.round,
            SignStep.PROPOSE,
            msg.proposal.blockHash,
          ];
    if (who !== n.i) return; // relayed
    const k = `${who}/${h}/${r}/${step}`;
    const prior = this.signed.get(k);
    const v = hashKey(hash);
    if (prior === undefined) this.signed.set(k, v);
    else if (prior !== v) this.safety.push(`validator ${who} signed two messages at ${k}`);
  }
}

const pick = (a: { height: number; round: number; minTime: number }) => ({
  h: a.height,
  r: a.round,
  minTime: a.minTime,
});

export function runScenario(cfg: ScenarioConfig): ScenarioResult {
  return new Simulation(cfg).run();
}
