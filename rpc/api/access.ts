import { Type } from '@sinclair/typebox';
import type { ChainEvent } from '../../src/chain/receipt.js';
import type { Tx } from '../../src/chain/tx.js';
import { equal, to0x } from '../../src/codec/bytes.js';
import { Action, IdentityType, PURPOSE_NAMES, ReasonCode, TxKind } from '../../src/tx/kinds.js';
import { access } from '../../state/domain/access.js';
import {
  consentKey,
  consentKeyRO,
  identityKey,
  identityKeyRO,
  recordKey,
  recordKeyRO,
} from '../../state/domain/keys.js';
import { COVERS, coverage, coverStage, hasLicense, isGranteeType } from '../../state/domain/rules.js';
import {
  C_ID,
  type ConsentEntry,
  decodeConsents,
  decodeIdentity,
  decodeRecord,
  RecordFlag,
} from '../../state/domain/values.js';
import { TxFailure } from '../../state/exec/machine.js';
import type { StateView } from '../../state/exec/view.js';
import { defineMethod } from '../methods.js';
import { Hash32 } from '../schema.js';
import { AtHead, headPoint, Id, idOf, proveKey, StateProofJson } from './domain.js';
import type { NodeApi } from './types.js';

const PURPOSES = PURPOSE_NAMES.filter((n) => n !== '');
export const PurposeName = Type.Union(
  PURPOSES.map((n) => Type.Literal(n)),
  { description: 'purpose of use (HL7 v3 ActReason)' },
);
export const ActionName = Type.Union([Type.Literal('read'), Type.Literal('write')]);

export const AccessDecisionJson = Type.Object({
  ...AtHead,
  granted: Type.Boolean(),
  code: Type.Union([Type.String(), Type.Null()], { description: 'reason code of a denial (NO_CONSENT, EXPIRED, ...)' }),
  patient: Type.Union([Hash32(), Type.Null()], { description: "the record's patient; null for an unknown record" }),
  consent: Type.Union([Hash32(), Type.Null()], {
    description: 'the covering consent (null: owner, emergency or denied)',
  }),
  emergency: Type.Boolean({ description: 'granted under a live break-glass session' }),
  session: Type.Union([Hash32(), Type.Null()]),
  proofs: Type.Union(
    [
      Type.Object({
        identity: StateProofJson,
        record: StateProofJson,
        consent: Type.Union([StateProofJson, Type.Null()]),
      }),
      Type.Null(),
    ],
    {
      description:
        'the grantee identity, the record pointer and the pair’s consents, against stateRoot; null if proof=false',
    },
  ),
});

const ZERO_ID = new Uint8Array(32);
const ZERO_PROPOSER = new Uint8Array(32);

interface Decision {
  granted: boolean;
  code: string | null;
  patient: Uint8Array | null;
  consent: Uint8Array | null;
  emergency: boolean;
  session: Uint8Array | null;
}

/**
 * The decision an ACCESS (read) would get in the next block at the head's time: the state
 * machine's own handler runs over a throwaway view of committed state (its writes, such as the
 * denial counter, are dropped), so break-glass sessions, suspension and license rules all apply as
 * on chain. A write is checked with the same coverage rule ADD_RECORD applies.
 */
export function decideAccess(
  api: NodeApi,
  grantee: Uint8Array,
  record: Uint8Array,
  action: 'read' | 'write',
  purpose: number,
): Decision {
  const head = api.chain.head;
  const store = api.chain.store;
  const iv = store.get(identityKeyRO(grantee));
  const rv = store.get(recordKeyRO(record));
  const r = rv === undefined ? undefined : decodeRecord(rv);
  const patient = r?.patient ?? null;
  const out: Decision = { granted: false, code: null, patient, consent: null, emergency: false, session: null };
  if (iv === undefined) {
    out.code = ReasonCode.UNKNOWN_IDENTITY;
    return out;
  }
  const me = decodeIdentity(iv);
  if (action === 'read') {
    // Fast path: a live consent covers (the only way the handler grants a non-owner without an
    // emergency), decided by the machine's own rules. Anything else, the handler itself decides.
    if (
      r !== undefined &&
      patient !== null &&
      !me.suspended &&
      !equal(grantee, patient) &&
      (r.flags & RecordFlag.ERASED) === 0
    ) {
      if (me.type !== IdentityType.PRACTITIONER || hasLicense(me, head.time)) {
        const consents = pairConsents(api, patient, grantee);
        if (coverage(consents, record, r.resourceType, Action.READ, purpose, head.time) === '') {
          out.granted = true;
          out.consent = coveringConsent(consents, record, r.resourceType, Action.READ, purpose, head.time);
          return out;
        }
      }
    }
    const verdict = runAccessHandler(api, grantee, me.pubkey, patient ?? ZERO_ID, record, purpose);
    if (typeof verdict === 'string') {
      out.code = verdict;
      return out;
    }
    const a = verdict.attrs;
    out.granted = a.granted === true;
    out.code = typeof a.code === 'string' ? a.code : null;
    out.emergency = a.emergency === true;
    out.session = a.session instanceof Uint8Array ? a.session : null;
  } else {
    // ADD_RECORD's rule for a non-patient writer, on this record's type and id.
    let code = '';
    if (r === undefined) code = ReasonCode.UNKNOWN_RECORD;
    else if (!equal(grantee, r.patient)) {
      if (!isGranteeType(me.type)) code = ReasonCode.NOT_AUTHORIZED;
      else if (me.suspended) code = ReasonCode.SUSPENDED;
      else if (me.type === IdentityType.PRACTITIONER && !hasLicense(me, head.time)) code = ReasonCode.NOT_CREDENTIALED;
      else
        code = coverage(
          pairConsents(api, r.patient, grantee),
          record,
          r.resourceType,
          Action.WRITE,
          purpose,
          head.time,
        );
    }
    out.granted = code === '';
    out.code = code === '' ? null : code;
  }
  if (out.granted && !out.emergency && r !== undefined && patient !== null && !equal(grantee, patient)) {
    const bit = action === 'read' ? Action.READ : Action.WRITE;
    out.consent = coveringConsent(pairConsents(api, patient, grantee), record, r.resourceType, bit, purpose, head.time);
  }
  return out;
}

/** The id of the consent that covers, by the machine's own staged rule. */
function coveringConsent(
  list: ConsentEntry[] | undefined,
  record: Uint8Array,
  type: number,
  action: number,
  purpose: number,
  time: number,
): Uint8Array | null {
  for (const c of list ?? []) if (coverStage(c, record, type, action, purpose, time) === COVERS) return c[C_ID];
  return null;
}

function pairConsents(api: NodeApi, patient: Uint8Array, grantee: Uint8Array): ConsentEntry[] | undefined {
  const v = api.chain.store.get(consentKeyRO(patient, grantee));
  return v === undefined ? undefined : decodeConsents(v);
}

/** Committed state for the handler; its writes (the denial counter) are dropped: this is a dry run. */
function dryRunState(api: NodeApi): StateView {
  const store = api.chain.store;
  return {
    get: (k: Uint8Array) => store.get(k),
    has: (k: Uint8Array) => store.get(k) !== undefined,
    set: () => {},
    delete: () => {},
  } as unknown as StateView;
}

/** The ACCESS handler on (grantee, [record], purpose): its access event, or the code it failed with. */
export function runAccessHandler(
  api: NodeApi,
  grantee: Uint8Array,
  pubkey: Uint8Array,
  patient: Uint8Array,
  record: Uint8Array,
  purpose: number,
): ChainEvent | string {
  const head = api.chain.head;
  let event: ChainEvent | undefined;
  const tx = {
    kind: TxKind.ACCESS,
    chainId: api.chain.chainId,
    signer: grantee,
    pubkey,
    hash: ZERO_ID,
  } as unknown as Tx;
  try {
    access.apply(
      {
        chainId: api.chain.chainId,
        height: head.height + 1,
        time: head.time,
        proposer: ZERO_PROPOSER,
        params: api.chain.genesis.params,
        state: dryRunState(api),
        emit: (e) => {
          if (e.type === 'access') event = e;
        },
      },
      tx,
      { patient, records: [record], purpose },
    );
  } catch (err) {
    if (err instanceof TxFailure) return err.code;
    throw err;
  }
  return event ?? ReasonCode.NOT_AUTHORIZED;
}

export function accessMethods(api: NodeApi) {
  return [
    defineMethod({
      name: 'access_check',
      summary:
        'The decision the chain would make now (head block time) on an access by grantee to record for action and purpose, with the covering consent and state proofs. Read-only.',
      params: [
        { name: 'grantee', schema: Id('practitioner or organization id') },
        { name: 'record', schema: Id('record id') },
        { name: 'action', schema: ActionName },
        { name: 'purpose', schema: PurposeName },
        {
          name: 'proof',
          schema: Type.Boolean({ description: 'include state proofs (default true)' }),
          required: false,
        },
      ],
      result: AccessDecisionJson,
      handler: (p) => {
        const grantee = idOf(p.grantee);
        const record = idOf(p.record);
        const d = decideAccess(api, grantee, record, p.action, PURPOSE_NAMES.indexOf(p.purpose));
        const at = headPoint(api);
        return {
          height: at.height,
          time: at.time,
          stateRoot: at.stateRoot,
          granted: d.granted,
          code: d.code,
          patient: d.patient === null ? null : to0x(d.patient),
          consent: d.consent === null ? null : to0x(d.consent),
          emergency: d.emergency,
          session: d.session === null ? null : to0x(d.session),
          proofs:
            p.proof === false
              ? null
              : {
                  identity: proveKey(api, identityKey(grantee)),
                  record: proveKey(api, recordKey(record)),
                  consent: d.patient === null ? null : proveKey(api, consentKey(d.patient, grantee)),
                },
        };
      },
    }),
  ];
}
