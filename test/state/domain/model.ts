/**
 * A tiny reference model of the consent/access/record/emergency rules, written
 * straight from the issue text with plain maps and names, independent of the
 * state layout. The property test runs the same txs through it and the real
 * machine and requires identical outcomes.
 */

export type Name = string;
export type Outcome = string; // 'OK' | 'FAILED CODE' | 'DENIED CODE'

export interface ModelPolicy {
  denialThreshold: number;
  denialWindowMs: number;
  breakGlassMs: number;
  reviewDeadlineMs: number;
}

interface Identity {
  type: 'patient' | 'practitioner' | 'organization';
  org: Name;
  suspended: boolean;
  validator: boolean;
}
interface Cred {
  issuer: Name;
  from: number;
  until: number;
  revoked: boolean;
}
interface Rec {
  patient: Name;
  type: number;
  custodian: Name;
  erased: boolean;
  hold: boolean;
  /** The custodian anchored its deletion receipt (once). */
  attested?: boolean;
}
interface Consent {
  id: string;
  records: string[];
  types: number;
  actions: number;
  purposes: number;
  notBefore: number;
  expiresAt: number;
  revoked: boolean;
}
interface Session {
  grantee: Name;
  patient: Name;
  org: Name;
  deadline: number;
  reviewed: boolean;
  overdue: boolean;
}

const READ = 1;
const WRITE = 2;
const MEDICATION_REQUEST = 6;
const MAX_PAIR = 8;
const BUCKET = 60_000;

const ok = 'OK';
/** Never reaches a block: the sender rule refuses it (the builder drops it). */
const refused = (c: string) => `REFUSED ${c}`;
const failed = (c: string) => `FAILED ${c}`;
const denied = (c: string) => `DENIED ${c}`;

export class Model {
  readonly ids = new Map<Name, Identity>();
  readonly creds = new Map<string, Cred>(); // practitioner:type
  readonly records = new Map<string, Rec>();
  readonly consents = new Map<string, Consent[]>(); // patient:grantee
  readonly delegates = new Map<string, number>(); // patient:delegate -> expiresAt
  readonly denials = new Map<Name, number[]>();
  readonly sessions = new Map<string, Session>();
  readonly pairSession = new Map<string, { sid: string; until: number }>(); // grantee:patient
  now = 0;

  constructor(readonly policy: ModelPolicy) {}

  private id(n: Name): Identity {
    const i = this.ids.get(n);
    if (i === undefined) throw new Error(`model: unknown ${n}`);
    return i;
  }

  /**
   * The sender rule: a suspended identity sends nothing but retractions (revoke a consent or a
   * delegate) until its organization reinstates it.
   */
  private senderRefused(signer: Name): Outcome {
    return this.ids.get(signer)?.suspended === true ? refused('SUSPENDED') : '';
  }

  private credOk(p: Name, type: number): boolean {
    const c = this.creds.get(`${p}:${type}`);
    return c !== undefined && !c.revoked && c.from <= this.now && this.now < c.until;
  }

  private mayActFor(signer: Name, patient: Name): boolean {
    if (signer === patient) return true;
    const until = this.delegates.get(`${patient}:${signer}`);
    return until !== undefined && this.now < until;
  }

  /** '' when covered, else the code of the closest consent. */
  coverage(patient: Name, grantee: Name, record: string, type: number, action: number, purpose: number): string {
    const codes = ['NO_CONSENT', 'ACTION_MISMATCH', 'PURPOSE_MISMATCH', 'REVOKED', 'NOT_YET_VALID', 'EXPIRED'];
    let best = 0;
    for (const c of this.consents.get(`${patient}:${grantee}`) ?? []) {
      let stage: number;
      if (!(c.records.includes(record) || (c.types >> type) & 1)) stage = 0;
      else if (!(c.actions & action)) stage = 1;
      else if (!((c.purposes >> purpose) & 1)) stage = 2;
      else if (c.revoked) stage = 3;
      else if (this.now < c.notBefore) stage = 4;
      else if (this.now >= c.expiresAt) stage = 5;
      else return '';
      best = Math.max(best, stage);
    }
    return codes[best] as string;
  }

  private countDenial(who: Name): void {
    const { denialThreshold: n, denialWindowMs: w } = this.policy;
    if (n === 0) return;
    const times = (this.denials.get(who) ?? []).filter((t) => this.now - t < w);
    times.push(this.now);
    while (times.length > n) times.shift();
    if (times.length >= n) {
      this.id(who).suspended = true;
      this.denials.delete(who);
    } else this.denials.set(who, times);
  }

  grant(signer: Name, id: string, patient: Name, grantee: Name, c: Omit<Consent, 'id' | 'revoked'>): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    const p = this.ids.get(patient);
    if (p === undefined) return failed('UNKNOWN_IDENTITY');
    if (p.type !== 'patient') return failed('WRONG_IDENTITY_TYPE');
    if (!this.mayActFor(signer, patient)) return failed('NOT_AUTHORIZED');
    const g = this.ids.get(grantee);
    if (g === undefined) return failed('UNKNOWN_IDENTITY');
    if (g.type === 'patient') return failed('WRONG_IDENTITY_TYPE');
    if (c.expiresAt <= this.now) return failed('EXPIRED');
    for (const r of c.records) {
      const rec = this.records.get(r);
      if (rec === undefined || rec.patient !== patient) return failed('UNKNOWN_RECORD');
      if (rec.erased) return failed('ERASED');
    }
    const k = `${patient}:${grantee}`;
    let list = this.consents.get(k) ?? [];
    if (list.length >= MAX_PAIR) list = list.filter((x) => !x.revoked && this.now < x.expiresAt);
    if (list.length >= MAX_PAIR) return failed('LIMIT_EXCEEDED');
    this.consents.set(k, [...list, { ...c, id, revoked: false }]);
    return ok;
  }

  revoke(signer: Name, patient: Name, grantee: Name, id: string): Outcome {
    if (!this.mayActFor(signer, patient)) return failed('NOT_AUTHORIZED');
    const c = (this.consents.get(`${patient}:${grantee}`) ?? []).find((x) => x.id === id);
    if (c === undefined) return failed('NOT_FOUND');
    if (c.revoked) return failed('REVOKED');
    c.revoked = true;
    return ok;
  }

  access(who: Name, patient: Name, records: string[], purpose: number): { outcome: Outcome; emergency: boolean } {
    const no = this.senderRefused(who);
    if (no !== '') return { outcome: no, emergency: false };
    const me = this.id(who);
    const owner = who === patient;
    let code = '';
    let emergency = false;
    if (me.suspended) code = 'SUSPENDED';
    else if (me.type === 'practitioner' && !owner && !this.credOk(who, 1)) code = 'NOT_CREDENTIALED';
    else
      for (const r of records) {
        const rec = this.records.get(r);
        if (rec === undefined || rec.patient !== patient) code = 'UNKNOWN_RECORD';
        else if (rec.erased) code = 'ERASED';
        else if (!owner) {
          const cov = this.coverage(patient, who, r, rec.type, READ, purpose);
          if (cov !== '') {
            const s = this.pairSession.get(`${who}:${patient}`);
            const emergencyPurpose = purpose === 2 || purpose === 7;
            // a session lasts its time box and only while the EMERGENCY credential stays valid
            if (
              emergencyPurpose &&
              me.type === 'practitioner' &&
              s !== undefined &&
              this.now < s.until &&
              this.credOk(who, 3)
            )
              emergency = true;
            else code = cov;
          }
        }
        if (code !== '') break;
      }
    if (code === '') return { outcome: ok, emergency };
    if (code !== 'SUSPENDED') this.countDenial(who);
    return { outcome: denied(code), emergency: false };
  }

  addRecord(signer: Name, record: string, patient: Name, type: number, custodian: Name, purpose: number): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    const me = this.id(signer);
    const p = this.ids.get(patient);
    if (p === undefined) return failed('UNKNOWN_IDENTITY');
    if (p.type !== 'patient') return failed('WRONG_IDENTITY_TYPE');
    const cu = this.ids.get(custodian);
    if (cu === undefined) return failed('UNKNOWN_IDENTITY');
    if (cu.type !== 'organization') return failed('WRONG_IDENTITY_TYPE');
    if (this.records.has(record)) return failed('ALREADY_EXISTS');
    const licensed = me.type === 'practitioner' && this.credOk(signer, 1);
    if (type === MEDICATION_REQUEST && !licensed) return failed('NOT_CREDENTIALED');
    if (signer !== patient) {
      if (me.type === 'patient') return failed('NOT_AUTHORIZED');
      if (me.suspended) return failed('SUSPENDED');
      if (me.type === 'practitioner' && !licensed) return failed('NOT_CREDENTIALED');
      const cov = this.coverage(patient, signer, record, type, WRITE, purpose);
      if (cov !== '') return failed(cov);
      // a writer other than the patient names its own organization or the patient's as custodian
      const own = me.type === 'organization' ? signer : me.org;
      if (custodian !== own && custodian !== p.org) return failed('NOT_AUTHORIZED');
    }
    this.records.set(record, { patient, type, custodian, erased: false, hold: false });
    return ok;
  }

  erase(signer: Name, record: string): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    const r = this.records.get(record);
    if (r === undefined) return failed('UNKNOWN_RECORD');
    if (!this.mayActFor(signer, r.patient)) return failed('NOT_AUTHORIZED');
    if (r.erased) return failed('ERASED');
    if (r.hold) return denied('LEGAL_HOLD');
    r.erased = true;
    return ok;
  }

  hold(signer: Name, record: string, on: boolean): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    if (this.id(signer).type !== 'organization') return failed('WRONG_IDENTITY_TYPE');
    const r = this.records.get(record);
    if (r === undefined) return failed('UNKNOWN_RECORD');
    if (r.custodian !== signer) return failed('NOT_AUTHORIZED');
    if (r.erased) return failed('ERASED');
    r.hold = on;
    return ok;
  }

  attest(signer: Name, record: string): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    if (this.id(signer).type !== 'organization') return failed('WRONG_IDENTITY_TYPE');
    const r = this.records.get(record);
    if (r === undefined) return failed('UNKNOWN_RECORD');
    if (r.custodian !== signer) return failed('NOT_AUTHORIZED');
    if (!r.erased) return failed('NOT_ERASED');
    if (r.attested) return failed('ALREADY_ATTESTED');
    r.attested = true;
    return ok;
  }

  breakGlass(signer: Name, sid: string, patient: Name): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    const me = this.id(signer);
    if (me.type !== 'practitioner') return failed('WRONG_IDENTITY_TYPE');
    const p = this.ids.get(patient);
    if (p === undefined) return failed('UNKNOWN_IDENTITY');
    if (p.type !== 'patient') return failed('WRONG_IDENTITY_TYPE');
    if (me.suspended) return denied('SUSPENDED');
    if (!this.credOk(signer, 1) || !this.credOk(signer, 3)) {
      this.countDenial(signer);
      return denied('NOT_CREDENTIALED');
    }
    this.sessions.set(sid, {
      grantee: signer,
      patient,
      org: me.org,
      deadline: this.now + this.policy.reviewDeadlineMs,
      reviewed: false,
      overdue: false,
    });
    this.pairSession.set(`${signer}:${patient}`, { sid, until: this.now + this.policy.breakGlassMs });
    return ok;
  }

  review(signer: Name, sid: string): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    if (this.id(signer).type !== 'organization') return failed('WRONG_IDENTITY_TYPE');
    const s = this.sessions.get(sid);
    if (s === undefined) return failed('NOT_FOUND');
    if (s.org !== signer) return failed('NOT_AUTHORIZED');
    if (s.reviewed) return failed('ALREADY_REVIEWED');
    s.reviewed = true;
    return ok;
  }

  reinstate(signer: Name, grantee: Name): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    if (this.id(signer).type !== 'organization') return failed('WRONG_IDENTITY_TYPE');
    const g = this.id(grantee);
    if (g.type === 'organization') {
      if (grantee === signer || !this.id(signer).validator) return failed('NOT_AUTHORIZED');
    } else if (g.org !== signer) return failed('NOT_AUTHORIZED');
    if (!g.suspended) return failed('NOT_SUSPENDED');
    g.suspended = false;
    this.denials.delete(grantee);
    return ok;
  }

  /** Credentials are the practitioner's own organization's business only. */
  private ownPractitioner(signer: Name, practitioner: Name): string {
    if (this.id(signer).type !== 'organization') return failed('WRONG_IDENTITY_TYPE');
    const p = this.id(practitioner);
    if (p.type !== 'practitioner') return failed('WRONG_IDENTITY_TYPE');
    if (p.org !== signer) return failed('NOT_AUTHORIZED');
    return '';
  }

  issue(signer: Name, practitioner: Name, type: number, from: number, until: number): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    const bad = this.ownPractitioner(signer, practitioner);
    if (bad !== '') return bad;
    if (until <= this.now) return failed('EXPIRED');
    const old = this.creds.get(`${practitioner}:${type}`);
    if (old !== undefined && old.issuer !== signer) return failed('NOT_AUTHORIZED');
    this.creds.set(`${practitioner}:${type}`, { issuer: signer, from, until, revoked: false });
    return ok;
  }

  revokeCred(signer: Name, practitioner: Name, type: number): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    const bad = this.ownPractitioner(signer, practitioner);
    if (bad !== '') return bad;
    const c = this.creds.get(`${practitioner}:${type}`);
    if (c === undefined) return failed('NOT_FOUND');
    if (c.revoked) return failed('REVOKED');
    c.revoked = true;
    return ok;
  }

  setDelegate(signer: Name, delegate: Name, expiresAt: number): Outcome {
    const no = this.senderRefused(signer);
    if (no !== '') return no;
    if (this.id(signer).type !== 'patient') return failed('WRONG_IDENTITY_TYPE');
    if (delegate === signer) return failed('NOT_AUTHORIZED');
    if (expiresAt <= this.now) return failed('EXPIRED');
    this.delegates.set(`${signer}:${delegate}`, expiresAt);
    return ok;
  }

  revokeDelegate(signer: Name, delegate: Name): Outcome {
    if (this.id(signer).type !== 'patient') return failed('WRONG_IDENTITY_TYPE');
    if (!this.delegates.delete(`${signer}:${delegate}`)) return failed('NOT_FOUND');
    return ok;
  }

  /** endBlock: emergencies whose review deadline (rounded up to the minute) has passed, unreviewed; returns how many were flagged. */
  endBlock(): number {
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.reviewed || s.overdue) continue;
      if ((Math.floor(s.deadline / BUCKET) + 1) * BUCKET <= this.now) {
        s.overdue = true;
        n++;
      }
    }
    return n;
  }
}
