import { Type } from '@sinclair/typebox';
import type { ChainEvent } from '../../src/chain/receipt.js';
import type { Tx } from '../../src/chain/tx.js';
import { to0x } from '../../src/codec/bytes.js';
import { PURPOSE_NAMES, ReasonCode, TxKind } from '../../src/tx/kinds.js';
import { type AccessDecision, decideAccess as accessRule } from '../../state/domain/access-rule.js';
import { access } from '../../state/domain/access-tx.js';
import { consentKey, identityKey, recordKey } from '../../state/domain/keys.js';
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

/**
 * The decision an ACCESS (read) or an ADD_RECORD of this record's type (write) would get at the
 * head's block time: the state layer's one access rule, the same function block execution calls.
 */
export function decideAccess(
  api: NodeApi,
  grantee: Uint8Array,
  record: Uint8Array,
  action: 'read' | 'write',
  purpose: number,
): AccessDecision {
  return accessRule(api.chain.store, { grantee, record, action, purpose, time: api.chain.head.time });
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
