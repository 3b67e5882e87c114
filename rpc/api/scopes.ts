/**
 * The scope of every method and topic of the node API, in one table (docs/API-SCOPES.md mirrors
 * it; a test checks that every registered method has an entry). A method without an entry is the
 * operator's only: a new method is closed until someone decides who may call it.
 */
import { decodeReceipt } from '../../src/chain/receipt.js';
import { decodeTx } from '../../src/chain/tx.js';
import { equal } from '../../src/codec/bytes.js';
import { NS } from '../../state/domain/keys.js';
import { loadBlock } from './chain.js';
import { getIdentity, idOf } from './domain.js';
import type { NodeApi } from './types.js';
import { eventSubjects, identitySubjects, recordSubjects, type Subject } from './visibility.js';

type P = Record<string, unknown>;
/** 'public': anyone; a list: a signed-in identity the chain relates to any of them (empty: nobody). */
type Subjects = readonly Subject[] | 'public';

export interface ScopeRule {
  /** What the OpenRPC document and docs/API-SCOPES.md say. */
  readonly doc: string;
  /** Judged before the handler runs. */
  readonly pre?: (p: P, api: NodeApi) => Subjects | Promise<Subjects>;
  /** Judged on the result (when the subject is known only once loaded); the result is sent only if it passes. */
  readonly post?: (p: P, result: unknown, api: NodeApi) => Subjects | Promise<Subjects>;
  /** Error codes that would tell a caller outside the scope whether the subject exists: refused alike. */
  readonly mask?: readonly string[];
}

const PUBLIC: ScopeRule = { doc: 'public', pre: () => 'public' };
/** Documented for clarity; a method without an entry is treated the same. */
const OPERATOR: ScopeRule = { doc: 'operator', pre: () => [] };
const id = (p: P, k: string): Uint8Array => idOf(p[k] as string);
/** The id param as given (lowercase 0x hex, checked by its schema): decoded only when the memo misses. */
const ref = (p: P, k: string): string => p[k] as string;
const patientOf = (k: string): ScopeRule => ({
  doc: 'patient (self or live delegate)',
  pre: (p) => [{ kind: 'patient', id: ref(p, k) }],
});
const partyOf = (k: string, who: string): ScopeRule => ({
  doc: `${who} (self) or its organization`,
  pre: (p) => [{ kind: 'party', id: ref(p, k) }],
});

/**
 * Subjects of a committed tx: its signer (and the signer's organization), the key that signed it (a
 * key session: a patient whose registration failed has no identity to sign in with), and everyone
 * its events name.
 */
export async function txSubjects(api: NodeApi, hash: Uint8Array): Promise<Subject[]> {
  const loc = await api.chain.blocks.getTxLocation(hash);
  if (loc === undefined) return [];
  const [{ block }, receipts] = await Promise.all([
    loadBlock(api, loc.height),
    api.chain.blocks.getReceipts(loc.height),
  ]);
  const bytes = block.txs[loc.index];
  if (bytes === undefined) return [];
  const tx = decodeTx(bytes);
  const out: Subject[] = [
    { kind: 'party', id: tx.signer },
    { kind: 'signedBy', pubkey: tx.pubkey, signer: tx.signer },
  ];
  const r = receipts?.[loc.index];
  if (r !== undefined) for (const e of decodeReceipt(r).events) out.push(...eventSubjects(e.attrs));
  return out;
}

/** State keys that are public: keys and validators; identities of organizations and practitioners. */
function stateKeySubjects(api: NodeApi, key: Uint8Array): Subjects {
  const has = (ns: Uint8Array): boolean => key.length >= ns.length && equal(key.subarray(0, ns.length), ns);
  if (has(NS.IDENTITY_KEY) || has(NS.VALIDATOR_SET) || has(NS.PROPOSAL) || has(NS.GOV_PENDING)) return 'public';
  const rest = (ns: Uint8Array): Uint8Array => key.subarray(ns.length);
  if (has(NS.IDENTITY) && key.length === NS.IDENTITY.length + 32) {
    const who = rest(NS.IDENTITY);
    const i = getIdentity(api, who);
    // Professionals' keys are public (a light client checks their signatures); patients' are not.
    if (i !== undefined && i.type !== 1) return 'public';
    return [{ kind: 'patient', id: who }];
  }
  if (has(NS.CREDENTIAL) && key.length === NS.CREDENTIAL.length + 37)
    return [{ kind: 'party', id: rest(NS.CREDENTIAL).subarray(0, 32) }];
  if (has(NS.RECORD) && key.length === NS.RECORD.length + 32) return recordSubjects(api, rest(NS.RECORD), false);
  if (has(NS.CONSENT) && key.length === NS.CONSENT.length + 64) {
    const k = rest(NS.CONSENT);
    return [
      { kind: 'patient', id: k.subarray(0, 32) },
      { kind: 'party', id: k.subarray(32, 64) },
    ];
  }
  return [];
}

export const SCOPES: Readonly<Record<string, ScopeRule>> = {
  'rpc.discover': PUBLIC,
  subscribe: { doc: 'public (per topic: see x-topics scopes)', pre: () => 'public' },
  unsubscribe: PUBLIC,
  auth_challenge: PUBLIC,
  auth_keyChallenge: PUBLIC,
  auth_login: PUBLIC,
  auth_logout: PUBLIC,
  auth_session: PUBLIC,
  chain_getStatus: PUBLIC,
  chain_getHeader: PUBLIC,
  chain_getCommit: PUBLIC,
  chain_getValidators: PUBLIC,
  chain_getBlock: {
    doc: 'public with tx hashes; operator with fullTxs (tx bodies name patients)',
    pre: (p) => (p.fullTxs === true ? [] : 'public'),
  },
  tx_submit: PUBLIC,
  net_peers: OPERATOR,
  tx_get: {
    doc: "the tx's signer (or its organization), whom its events name, or a key session of the key that signed it",
    pre: (p, api) => txSubjects(api, id(p, 'hash')),
  },
  tx_getReceipt: {
    doc: "the tx's signer (or its organization), whom its events name, or a key session of the key that signed it",
    pre: (p, api) => txSubjects(api, id(p, 'hash')),
  },
  tx_waitFinal: {
    doc: "the tx's signer (or its organization), whom its events name, or a key session of the key that signed it (judged once final)",
    post: (p, _r, api) => txSubjects(api, id(p, 'hash')),
  },
  state_getProof: {
    doc: 'public for keys, validators and professionals’ identities; else the key’s subject',
    pre: (p, api) => stateKeySubjects(api, idOf(p.key as string)),
  },
  identity_get: {
    doc: 'public for organizations and practitioners; a patient: self, live delegate, onboarding organization',
    pre: (p, api) => identitySubjects(api, id(p, 'id')) ?? 'public',
  },
  credential_list: partyOf('practitioner', 'practitioner'),
  credential_verify: partyOf('practitioner', 'practitioner'),
  record_get: {
    doc: 'patient (self or live delegate), the custodian organization, a grantee with a live consent or break-glass session',
    pre: (p, api) => recordSubjects(api, id(p, 'record')),
  },
  record_listByPatient: patientOf('patient'),
  // Only records a live consent of this grantee covers are returned (the rule is in the handler).
  record_listForGrantee: partyOf('grantee', 'grantee'),
  consent_get: {
    doc: 'the consent’s patient (self or live delegate), its grantee or the grantee’s organization',
    post: (_p, r) => {
      const c = (r as { consent: { patient: string; grantee: string } }).consent;
      return [
        { kind: 'patient', id: idOf(c.patient) },
        { kind: 'party', id: idOf(c.grantee) },
      ];
    },
    mask: ['CONSENT_NOT_FOUND'],
  },
  consent_listByPatient: patientOf('patient'),
  consent_listByGrantee: partyOf('grantee', 'grantee'),
  access_check: {
    doc: "the grantee (self) or its organization; the record's patient (or delegate) or custodian",
    pre: (p) => [
      { kind: 'party', id: ref(p, 'grantee') },
      { kind: 'record', id: ref(p, 'record'), grantees: false },
    ],
  },
  audit_query: {
    doc: 'patient/record: the patient (self or live delegate); grantee: the grantee or its organization',
    pre: (p, api) => {
      const given = [p.patient, p.record, p.grantee].filter((x) => x !== undefined).length;
      if (given !== 1) return [];
      if (p.patient !== undefined) return [{ kind: 'patient', id: ref(p, 'patient') }];
      if (p.grantee !== undefined) return [{ kind: 'party', id: ref(p, 'grantee') }];
      return recordSubjects(api, id(p, 'record'), false).filter((s) => s.kind === 'patient');
    },
  },
  audit_disclosures: patientOf('patient'),
  governance_events: PUBLIC,
  audit_organization: {
    doc: 'the organization itself',
    pre: (p) => [{ kind: 'org', id: ref(p, 'org') }],
  },
};

/** Topics: newHeads and finalized (headers, tx hashes) are public; events need a caller and are judged one by one. */
export const TOPIC_SCOPES: Readonly<Record<string, string>> = {
  newHeads: 'public',
  finalized: 'public',
  events: 'signed in: each event only if the caller may read whom it names (operator: all)',
};
