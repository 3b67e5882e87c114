import { voteSignBytes } from '../../src/chain/vote.js';
import { equal, u32be, u64be, utf8 } from '../../src/codec/bytes.js';
import { SignPurpose, signingMessage } from '../../src/crypto/domain.js';
import { verify } from '../../src/crypto/ed25519.js';
import type { SignedVote } from '../../src/tx/bodies.js';
import { ReasonCode, TxKind } from '../../src/tx/kinds.js';
import { validatorSet } from './governance.js';
import { handler, OK } from './handler.js';
import { fail } from './rules.js';

/** + accused org(32) + height(u64) + round(u32) + type(u8) -> reporting validator's org. */
const EVIDENCE_NS = utf8('validator/evidence/');

/**
 * Equivocation evidence on chain: a validator reports, signed with its
 * consensus key, two conflicting votes of another validator. Every validator
 * re-checks both signatures against the accused's key in the current set (the
 * same bytes consensus signs), so the event is as final as any block; the
 * first report per offence counts, later ones fail as duplicates.
 */
export const evidence = handler(TxKind.EVIDENCE, (ctx, tx, b) => {
  const set = validatorSet(ctx.state);
  // The reporter acts as a validator: its org id and consensus key, not an identity key.
  const reporter = set.find((v) => equal(v[0], tx.signer));
  if (reporter === undefined || !equal(reporter[1], tx.pubkey)) fail(ReasonCode.NOT_AUTHORIZED);
  const accused = set[b.a.validatorIndex];
  if (accused === undefined) fail(ReasonCode.NOT_FOUND);
  if (!signedBy(ctx.chainId, b.a, accused[1]) || !signedBy(ctx.chainId, b.b, accused[1])) fail(ReasonCode.BAD_PROOF);
  const key = new Uint8Array(EVIDENCE_NS.length + 32 + 8 + 4 + 1);
  key.set(EVIDENCE_NS);
  key.set(accused[0], EVIDENCE_NS.length);
  key.set(u64be(b.a.height), EVIDENCE_NS.length + 32);
  key.set(u32be(b.a.round), EVIDENCE_NS.length + 40);
  key[key.length - 1] = b.a.type;
  if (ctx.state.has(key)) fail(ReasonCode.ALREADY_EXISTS);
  ctx.state.set(key, tx.signer);
  ctx.emit({
    type: 'consensus.equivocation',
    attrs: { validator: accused[0], height: b.a.height, round: b.a.round, voteType: b.a.type, reporter: tx.signer },
  });
  return OK;
});

const signedBy = (chainId: string, v: SignedVote, pubkey: Uint8Array): boolean =>
  verify(v.signature, signingMessage(SignPurpose.VOTE, chainId, voteSignBytes(v)), pubkey);
