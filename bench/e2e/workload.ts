/**
 * The e2e workload: deterministic identities (patients, practitioners) and the
 * signed transactions that load a realistic state and then drive the network
 * in the mix of `state.apply.mixed` (80 % access, 8 % consent grants, 5 %
 * record pointers, 5 % revocations, 2 % break-glass). Every access is one
 * that the rules GRANT: a licensed practitioner reading a record of a patient
 * who consented (a denial would count towards the grantee's suspension).
 */
import { identityId } from '../../src/chain/genesis.js';
import type { Tx } from '../../src/chain/tx.js';
import { u32be, utf8 } from '../../src/codec/bytes.js';
import { publicKeyOf, signFast } from '../../src/crypto/ed25519.js';
import { sha256Parts } from '../../src/crypto/hash.js';
import {
  access,
  addRecord,
  breakGlass,
  buildTx,
  type Envelope,
  issueCredential,
  registerPatient,
  registerPractitioner,
  revokeConsent,
} from '../../src/tx/builders.js';
import { Action, ALL_TYPES_MASK, CredentialType, Purpose, TxKind } from '../../src/tx/kinds.js';
import { signTx } from '../../src/tx/sign.js';
import { Prng } from '../fixtures.js';

export interface Party {
  sk: Uint8Array;
  pk: Uint8Array;
  id: Uint8Array;
}

const party = (sk: Uint8Array): Party => {
  const pk = publicKeyOf(sk);
  return { sk, pk, id: identityId(pk) };
};

const seedKey = (role: string, i: number): Uint8Array => sha256Parts([utf8(`medchain-e2e/${role}`), u32be(i)]);
const fill = (label: number, i: number, salt: number): Uint8Array => {
  const b = sha256Parts([u32be(label), u32be(salt), u32be(i)]);
  return b;
};

const HOUR = 3_600_000;
/** The share of each kind in the run, cumulative percent. */
export const MIX = { access: 80, grant: 88, record: 93, revoke: 98, breakGlass: 100 } as const;

export interface WorkloadOptions {
  chainId: string;
  /** The devnet's organization (hospital) secret keys. */
  orgKeys: Uint8Array[];
  patients: number;
  practitioners: number;
  /** Distinguishes nonces and new record ids between runs on one chain. */
  salt: number;
  /** Lifetime of a signed tx (ms); the chain allows at most maxTxLifetimeMs. */
  lifetimeMs: number;
}

export type Kind = 'access' | 'grant' | 'record' | 'revoke' | 'breakGlass' | 'load';

export class Workload {
  readonly orgs: Party[];
  private readonly pats: Party[] = [];
  private readonly pracs: Party[] = [];
  private nonce = 0;
  private readonly prng: Prng;
  /** Per patient: the loaded consent to its secondary practitioner, revoked at most once by the run. */
  private readonly secondary: (Uint8Array | undefined)[];
  private revokeNext = 0;
  private recordNext = 0;

  constructor(readonly o: WorkloadOptions) {
    this.orgs = o.orgKeys.map(party);
    this.prng = new Prng(0x5eed ^ o.salt);
    this.secondary = new Array(o.patients);
  }

  patient(i: number): Party {
    this.pats[i] ??= party(seedKey('patient', i));
    return this.pats[i];
  }

  practitioner(i: number): Party {
    this.pracs[i] ??= party(seedKey('practitioner', i));
    return this.pracs[i];
  }

  /** Patient i's primary practitioner: the one whose accesses the run drives (read+write consent). */
  primaryOf = (i: number): number => i % this.o.practitioners;
  /** Patient i's secondary practitioner: a read consent the run revokes. */
  secondaryOf = (i: number): number => (i + 1) % this.o.practitioners;
  orgOf = (i: number): Party => this.orgs[i % this.orgs.length] as Party;
  recordOf = (i: number): Uint8Array => fill(1, i, 0);

  private env(p: Party, now: number): Envelope {
    return {
      chainId: this.o.chainId,
      signer: p.id,
      pubkey: p.pk,
      expiresAt: now + this.o.lifetimeMs,
      nonce: new Uint8Array([...u32be(this.o.salt), ...u32be(this.nonce++)]),
    };
  }

  /** Phase 1: practitioners (registered by their organization) and patients (co-signed by theirs). */
  loadIdentities(now: number): Tx[] {
    const out: Tx[] = [];
    for (let p = 0; p < this.o.practitioners; p++) {
      const pr = this.practitioner(p);
      const org = this.orgOf(p);
      out.push(
        signTx(
          registerPractitioner(this.env(org, now), pr.pk, (m) => signFast(m, pr.sk)),
          org.sk,
          signFast,
        ),
      );
    }
    for (let i = 0; i < this.o.patients; i++) {
      const pa = this.patient(i);
      const org = this.orgOf(i);
      const f = registerPatient({
        chainId: this.o.chainId,
        expiresAt: now + this.o.lifetimeMs,
        nonce: u32be(this.nonce++),
        pubkey: pa.pk,
        org: org.id,
        orgSign: (m) => signFast(m, org.sk),
      });
      out.push(signTx(f, pa.sk, signFast));
    }
    return out;
  }

  /**
   * Phase 2: license and emergency credentials, each patient's record pointer,
   * a read+write consent to the primary practitioner and a read consent to the
   * secondary one (whose id, the granting tx's hash, the run revokes).
   */
  loadRelations(now: number): Tx[] {
    const out: Tx[] = [];
    for (let p = 0; p < this.o.practitioners; p++) {
      const pr = this.practitioner(p);
      const org = this.orgOf(p);
      for (const credType of [CredentialType.LICENSE, CredentialType.EMERGENCY])
        out.push(
          signTx(
            issueCredential(this.env(org, now), {
              practitioner: pr.id,
              credType,
              qualifier: 0,
              validFrom: now - HOUR,
              validUntil: now + 365 * 24 * HOUR,
            }),
            org.sk,
            signFast,
          ),
        );
    }
    for (let i = 0; i < this.o.patients; i++) {
      const pa = this.patient(i);
      out.push(
        signTx(
          addRecord(this.env(pa, now), {
            record: this.recordOf(i),
            patient: pa.id,
            resourceType: 3,
            commitment: fill(2, i, 0),
            locator: fill(3, i, 0),
            custodian: this.orgOf(i).id,
            purpose: Purpose.TREAT,
          }),
          pa.sk,
          signFast,
        ),
      );
      out.push(this.grant(i, this.primaryOf(i), Action.READ | Action.WRITE, now, now + 30 * 24 * HOUR));
      const second = this.grant(i, this.secondaryOf(i), Action.READ, now, now + 30 * 24 * HOUR);
      this.secondary[i] = second.hash;
      out.push(second);
    }
    return out;
  }

  private grant(i: number, grantee: number, actions: number, now: number, until: number): Tx {
    const pa = this.patient(i);
    return signTx(
      buildTx(TxKind.GRANT_CONSENT, this.env(pa, now), {
        patient: pa.id,
        grantee: this.practitioner(grantee).id,
        records: [],
        types: ALL_TYPES_MASK,
        actions,
        purposes: (1 << Purpose.TREAT) | (1 << Purpose.ETREAT),
        notBefore: now - HOUR,
        expiresAt: until,
      }),
      pa.sk,
      signFast,
    );
  }

  /** An access the rules grant: patient i's primary practitioner reads i's record for treatment. */
  access(i: number, now: number): Tx {
    const pa = this.patient(i);
    const pr = this.practitioner(this.primaryOf(i));
    return signTx(
      access(this.env(pr, now), { patient: pa.id, records: [this.recordOf(i)], purpose: Purpose.TREAT }),
      pr.sk,
      signFast,
    );
  }

  /** One transaction of the mix, and its kind. */
  next(now: number): { tx: Tx; kind: Kind } {
    const r = this.prng.below(100);
    const i = this.prng.below(this.o.patients);
    if (r < MIX.access) return { tx: this.access(i, now), kind: 'access' };
    const pa = this.patient(i);
    if (r < MIX.grant) {
      // A short-lived read consent to a random practitioner other than the two loaded ones.
      let g = this.prng.below(this.o.practitioners);
      if (this.o.practitioners > 2)
        while (g === this.primaryOf(i) || g === this.secondaryOf(i)) g = (g + 1) % this.o.practitioners;
      return { tx: this.grant(i, g, Action.READ, now, now + 2 * HOUR), kind: 'grant' };
    }
    if (r < MIX.record) {
      const pr = this.practitioner(this.primaryOf(i));
      const n = this.recordNext++;
      return {
        tx: signTx(
          addRecord(this.env(pr, now), {
            record: fill(4, n, this.o.salt),
            patient: pa.id,
            resourceType: 3,
            commitment: fill(5, n, this.o.salt),
            locator: fill(6, n, this.o.salt),
            custodian: this.orgOf(i).id,
            purpose: Purpose.TREAT,
          }),
          pr.sk,
          signFast,
        ),
        kind: 'record',
      };
    }
    if (r < MIX.revoke) {
      // Each loaded secondary consent once, in patient order (a second revocation would fail).
      const j = this.revokeNext++ % this.o.patients;
      const pj = this.patient(j);
      const consent = this.secondary[j] ?? new Uint8Array(32);
      return {
        tx: signTx(
          revokeConsent(this.env(pj, now), {
            patient: pj.id,
            grantee: this.practitioner(this.secondaryOf(j)).id,
            consent,
          }),
          pj.sk,
          signFast,
        ),
        kind: 'revoke',
      };
    }
    const pr = this.practitioner(this.prng.below(this.o.practitioners));
    return {
      tx: signTx(breakGlass(this.env(pr, now), { patient: pa.id, reason: Purpose.ETREAT }), pr.sk, signFast),
      kind: 'breakGlass',
    };
  }

  /** The secondary consent ids (after loadRelations), for a workload built in another process. */
  secondaryConsents(): (Uint8Array | undefined)[] {
    return this.secondary;
  }
}
