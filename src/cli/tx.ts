/**
 * `medchain tx <kind>`: builds a transaction, signs it with a key from the keystore, submits it and
 * waits until it is final. Exit 0 when the chain accepted it, 5 when it was included as denied or
 * failed, 3 when the node refused it at admission.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Tx } from '../chain/tx.js';
import type { MedchainClient } from '../client/client.js';
import { type Account, type PurposeName, TxFactory } from '../client/tx.js';
import { RESOURCE_TYPES, type ResourceType } from '../tx/kinds.js';
import { requireIdentity, requireRecords } from './checks.js';
import { idArg, openKey } from './keyfiles.js';
import { CliError, clientOf, Exit, emit, fields, type GlobalOpts, globals } from './output.js';

const PURPOSES = ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'BTG'];

/** A block time: ms since the epoch, an ISO date, or +N[smhd] / -N[smhd] from now. */
export function timeArg(v: string): number {
  const rel = /^([+-])(\d+)([smhd])$/.exec(v);
  if (rel) {
    const ms = Number(rel[2]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[3] as 's' | 'm' | 'h' | 'd'];
    return rel[1] === '+' ? Date.now() + ms : Date.now() - ms;
  }
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new InvalidArgumentError('a time: ms since epoch, an ISO date, or +N/-N with s, m, h or d');
  return t;
}

const list = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').filter((x) => x !== '')];
const purposeArg = (v: string): string => {
  if (!PURPOSES.includes(v)) throw new InvalidArgumentError(`one of ${PURPOSES.join(', ')}`);
  return v;
};
const purposesArg = (v: string, prev: string[] = []): string[] => list(v, prev).map(purposeArg);
const typesArg = (v: string, prev: string[] = []): string[] =>
  list(v, prev).map((t) => {
    if (!(RESOURCE_TYPES as readonly string[]).includes(t))
      throw new InvalidArgumentError(`FHIR resource types: ${RESOURCE_TYPES.join(', ')}`);
    return t;
  });
export const uintArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('a non-negative integer');
  return n;
};
const hexArg = (v: string): string => {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(v)) throw new InvalidArgumentError('0x hex bytes');
  return v.toLowerCase();
};

export interface Ctx {
  g: GlobalOpts;
  f: TxFactory;
  client: MedchainClient;
  id: (v: string) => Promise<string>;
  key: (name: string) => Promise<Account>;
}

/** Runs one tx subcommand: open the signer's key, build, submit, wait, report. */
export async function run(
  cmd: Command,
  build: (c: Ctx, o: Record<string, unknown>) => Promise<Tx> | Tx,
  derived?: string,
): Promise<void> {
  const g = globals(cmd);
  const o = cmd.opts() as Record<string, unknown> & {
    from: string;
    wait: boolean;
    timeoutMs: number;
    quiet?: boolean;
  };
  const client = clientOf(g);
  const { chainId } = await client.status();
  const account = await openKey(g, o.from);
  const f = new TxFactory({ chainId, account });
  const tx = await build({ g, f, client, id: (v) => idArg(g, v), key: (name) => openKey(g, name) }, o);
  const hash = await client.submit(tx);
  const quiet = o.quiet === true && !g.json;
  if (!o.wait) {
    const extra = derived === undefined ? {} : { [derived]: hash };
    if (quiet) process.stdout.write(`${hash}\n`);
    else
      emit(g, { hash, ...extra, status: 'submitted' }, () =>
        fields({ hash, ...extra, status: 'submitted (not waiting)' }),
      );
    return;
  }
  const r = await client.waitFinal(hash, o.timeoutMs);
  // A tx that was denied or failed created nothing: never print a consent/session/proposal id for it.
  const extra = derived === undefined || r.status !== 'ok' ? {} : { [derived]: hash };
  const out = {
    hash,
    ...extra,
    status: r.status,
    code: r.code || null,
    height: r.height,
    time: r.time,
    events: r.events,
  };
  if (quiet) {
    if (r.status === 'ok') process.stdout.write(`${hash}\n`);
  } else
    emit(g, out, () =>
      fields({
        hash,
        ...extra,
        status: r.status + (r.code ? ` (${r.code})` : ''),
        height: r.height,
        events: r.events.map((e) => e.type),
      }),
    );
  if (r.status !== 'ok')
    throw new CliError(
      `transaction ${hash} was included as ${r.status}: ${r.code}${derived === undefined ? '' : `; no ${derived} was created`}` +
        `${NEXT_STEP[r.code ?? ''] ?? ''}`,
      Exit.DENIED,
    );
}

/** A hint per chain reason code: what to do about it. */
const NEXT_STEP: Record<string, string> = {
  UNKNOWN_IDENTITY:
    ' (the signer or a named identity is not registered on this chain; after `npm run devnet -- --fresh`, re-import the devnet keys with `medchain keys import-devnet --force`)',
  NO_CONSENT: ' (no live consent covers this record, action and purpose)',
  REVOKED: ' (the consent was revoked)',
  EXPIRED: ' (expired in block time)',
  NOT_AUTHORIZED: ' (the signer may not do this)',
};

export function kind(tx: Command, name: string, description: string): Command {
  return tx
    .command(name)
    .description(description)
    .requiredOption('--from <key>', 'key (in the keystore) of the identity that signs')
    .option('--no-wait', 'return once the node admitted the tx, without waiting for finality')
    .option('-q, --quiet', 'print only the id (consent, session, proposal or tx hash) once final and ok', false)
    .addOption(new Option('--timeout-ms <ms>', 'how long to wait for finality').argParser(uintArg).default(30_000));
}

export function txCommand(program: Command): void {
  const tx = program
    .command('tx')
    .addHelpText(
      'after',
      '\nIds take 0x hex or @keyname (the id of a key in the keystore). Times take ms, an ISO date or +48h.',
    );

  // ---- identities ----
  kind(tx, 'register-patient', 'register the --from key as a patient, co-signed by the onboarding organization')
    .requiredOption('--org <key>', 'the organization key that co-signs (identity proofing)')
    .action((_o, cmd: Command) => run(cmd, async (c, o) => c.f.registerPatient(await c.key(o.org as string))));
  kind(
    tx,
    'register-practitioner',
    'an organization (--from) registers a practitioner; the practitioner key proves possession',
  )
    .requiredOption('--practitioner <key>', "the practitioner's key")
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) => c.f.registerPractitioner(await c.key(o.practitioner as string))),
    );
  kind(tx, 'rotate-key', "replace the --from identity's key with another key from the keystore")
    .requiredOption('--new <key>', 'the new key (afterwards: keys import it with --id of this identity)')
    .action((_o, cmd: Command) => run(cmd, async (c, o) => c.f.rotateKey(await c.key(o.new as string))));
  kind(tx, 'set-delegate', 'a patient lets a delegate (guardian, proxy) act for them until a time')
    .requiredOption('--delegate <id>', 'delegate identity')
    .requiredOption('--until <time>', 'end of the delegation', timeArg)
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) => c.f.setDelegate(await c.id(o.delegate as string), o.until as number)),
    );
  kind(tx, 'revoke-delegate', 'end a delegation')
    .requiredOption('--delegate <id>', 'delegate identity')
    .action((_o, cmd: Command) => run(cmd, async (c, o) => c.f.revokeDelegate(await c.id(o.delegate as string))));
  kind(tx, 'set-recovery', 'a patient names guardians who can together recover the account')
    .requiredOption('--guardians <ids>', 'comma-separated guardian ids', list)
    .requiredOption('--threshold <n>', 'approvals needed', uintArg)
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) =>
        c.f.setRecovery(await Promise.all((o.guardians as string[]).map(c.id)), o.threshold as number),
      ),
    );
  kind(tx, 'start-recovery', 'a guardian starts recovering a patient to a new key, with other guardians’ approvals')
    .requiredOption('--patient <id>', 'the patient')
    .requiredOption('--new <key>', 'the new key')
    .option('--approval <guardian:sig>', 'another guardian’s approval (repeatable)', list, [])
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) => {
        const approvals = await Promise.all(
          (o.approval as string[]).map(async (a) => {
            const [guardian = '', sig = ''] = a.split(':');
            return { guardian: await c.id(guardian), sig: hexArg(sig) };
          }),
        );
        return c.f.startRecovery(await c.id(o.patient as string), await c.key(o.new as string), approvals);
      }),
    );
  kind(tx, 'cancel-recovery', 'the patient cancels a pending recovery').action((_o, cmd: Command) =>
    run(cmd, (c) => c.f.cancelRecovery()),
  );
  kind(tx, 'finish-recovery', 'finish a recovery after its delay')
    .requiredOption('--patient <id>', 'the patient')
    .action((_o, cmd: Command) => run(cmd, async (c, o) => c.f.finishRecovery(await c.id(o.patient as string))));

  // ---- credentials ----
  const credType = new Option('--type <type>', 'credential type')
    .choices(['license', 'specialty', 'emergency'])
    .makeOptionMandatory();
  kind(tx, 'issue-credential', "an organization issues a practitioner's credential for a validity period")
    .requiredOption('--practitioner <id>', 'practitioner')
    .addOption(credType)
    .option('--qualifier <n>', 'specialty code', uintArg, 0)
    .option('--valid-from <time>', 'start', timeArg)
    .requiredOption('--valid-until <time>', 'end', timeArg)
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) =>
        c.f.issueCredential({
          practitioner: await c.id(o.practitioner as string),
          type: o.type as 'license',
          qualifier: o.qualifier as number,
          validFrom: (o.validFrom as number | undefined) ?? Date.now() - 60_000,
          validUntil: o.validUntil as number,
        }),
      ),
    );
  kind(tx, 'revoke-credential', 'the issuing organization revokes a credential')
    .requiredOption('--practitioner <id>', 'practitioner')
    .addOption(
      new Option('--type <type>', 'credential type')
        .choices(['license', 'specialty', 'emergency'])
        .makeOptionMandatory(),
    )
    .option('--qualifier <n>', 'specialty code', uintArg, 0)
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) =>
        c.f.revokeCredential({
          practitioner: await c.id(o.practitioner as string),
          type: o.type as 'license',
          qualifier: o.qualifier as number,
        }),
      ),
    );

  // ---- records ----
  kind(tx, 'add-record', 'anchor a record pointer: salted commitment and opaque locator (never the data)')
    .requiredOption('--patient <id>', 'the patient')
    .addOption(new Option('--type <fhirType>', 'FHIR resource type').choices([...RESOURCE_TYPES]).makeOptionMandatory())
    .requiredOption('--commitment <0x>', 'salted sha256 commitment of the ciphertext', hexArg)
    .requiredOption('--locator <text>', 'opaque locator at the custodian (no PHI: an id, not a name)')
    .requiredOption('--custodian <id>', 'organization holding the ciphertext')
    .option('--record <0x>', 'record id (default: random)', hexArg)
    .option('--purpose <purpose>', 'purpose of use when not the patient', purposeArg, 'TREAT')
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) =>
        c.f.addRecord({
          ...(o.record !== undefined && { record: o.record as string }),
          patient: await c.id(o.patient as string),
          resourceType: o.type as ResourceType,
          commitment: o.commitment as string,
          locator: new TextEncoder().encode(o.locator as string),
          custodian: await c.id(o.custodian as string),
          purpose: o.purpose as PurposeName,
        }),
      ),
    );
  kind(tx, 'erase-record', 'GDPR erasure: the pointer becomes a tombstone')
    .requiredOption('--record <id>', 'record')
    .action((_o, cmd: Command) => run(cmd, async (c, o) => c.f.eraseRecord(await c.id(o.record as string))));
  kind(tx, 'legal-hold', 'set or lift a legal hold on a record (blocks erasure)')
    .requiredOption('--record <id>', 'record')
    .option('--off', 'lift the hold', false)
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) => c.f.setLegalHold(await c.id(o.record as string), !(o.off as boolean))),
    );

  // ---- consents and access ----
  kind(tx, 'grant-consent', 'a patient (or delegate) grants a consent; prints its id')
    .requiredOption('--grantee <id>', 'practitioner or organization')
    .option('--patient <id>', 'the patient (default: the --from identity)')
    .option('--record <ids>', 'records in scope (comma-separated, repeatable)', list, [])
    .option('--types <types>', 'FHIR resource types in scope (comma-separated)', typesArg, [])
    .requiredOption('--purposes <purposes>', 'purposes of use, e.g. TREAT,ETREAT', purposesArg)
    .option('--actions <actions>', 'read,write', list, ['read'])
    .option('--not-before <time>', 'start', timeArg)
    .option('--hours <n>', 'duration in hours', uintArg, 24)
    .option('--until <time>', 'end (instead of --hours)', timeArg)
    .action((_o, cmd: Command) =>
      run(
        cmd,
        async (c, o) => {
          const grantee = await c.id(o.grantee as string);
          const records = await Promise.all((o.record as string[]).map(c.id));
          // A typo would otherwise give a consent that protects nothing: refuse before signing.
          await requireIdentity(c.client, grantee, 'grantee');
          await requireRecords(c.client, records);
          return c.f.grantConsent({
            ...(o.patient !== undefined && { patient: await c.id(o.patient as string) }),
            grantee,
            records,
            types: o.types as ResourceType[],
            purposes: o.purposes as PurposeName[],
            actions: o.actions as ('read' | 'write')[],
            ...(o.notBefore !== undefined && { notBefore: o.notBefore as number }),
            ...(o.until !== undefined ? { expiresAt: o.until as number } : { hours: o.hours as number }),
          });
        },
        'consent',
      ),
    );
  kind(tx, 'revoke-consent', 'revoke a consent')
    .requiredOption('--grantee <id>', 'practitioner or organization')
    .requiredOption('--consent <id>', 'consent id')
    .option('--patient <id>', 'the patient (default: the --from identity)')
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) =>
        c.f.revokeConsent({
          ...(o.patient !== undefined && { patient: await c.id(o.patient as string) }),
          grantee: await c.id(o.grantee as string),
          consent: await c.id(o.consent as string),
        }),
      ),
    );
  kind(
    tx,
    'access',
    "log an access to a patient's records; the chain grants it under a live consent or records a denial",
  )
    .requiredOption('--patient <id>', 'the patient')
    .requiredOption('--record <ids>', 'records (comma-separated, repeatable)', list)
    .requiredOption('--purpose <purpose>', 'purpose of use', purposeArg)
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) =>
        c.f.access({
          patient: await c.id(o.patient as string),
          records: await Promise.all((o.record as string[]).map(c.id)),
          purpose: o.purpose as PurposeName,
        }),
      ),
    );
  kind(tx, 'break-glass', 'open a time-boxed emergency access (needs emergency privileges); prints the session id')
    .requiredOption('--patient <id>', 'the patient')
    .addOption(new Option('--reason <reason>', 'emergency reason').choices(['ETREAT', 'BTG']).default('ETREAT'))
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) => c.f.breakGlass(await c.id(o.patient as string), o.reason as 'ETREAT'), 'session'),
    );
  kind(tx, 'review-emergency', 'the organization reviews an emergency access')
    .requiredOption('--session <id>', 'emergency session')
    .option('--unjustified', 'mark as not justified', false)
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) => c.f.reviewEmergency(await c.id(o.session as string), !(o.unjustified as boolean))),
    );
  kind(tx, 'reinstate', 'lift the suspension of a grantee')
    .requiredOption('--grantee <id>', 'grantee')
    .action((_o, cmd: Command) => run(cmd, async (c, o) => c.f.reinstate(await c.id(o.grantee as string))));

  // ---- governance ----
  kind(tx, 'propose-organization', 'a validator proposes a new organization; prints the proposal id')
    .requiredOption('--org-key <key>', "the new organization's key")
    .requiredOption('--name <name>', 'public name')
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) => c.f.proposeOrganization(await c.key(o.orgKey as string), o.name as string), 'proposal'),
    );
  kind(tx, 'propose-add-validator', 'a validator proposes making an organization a validator')
    .requiredOption('--org <id>', 'organization')
    .requiredOption('--consensus-key <0x>', "the validator's consensus public key", hexArg)
    .requiredOption('--peer-id <id>', "the validator node's libp2p peer id")
    .requiredOption('--consensus-proof <0x>', "the consensus key's signature (from the join request)", hexArg)
    .option('--power <n>', 'voting power', uintArg, 1)
    .action((_o, cmd: Command) =>
      run(
        cmd,
        async (c, o) =>
          c.f.proposeAddValidator(await c.id(o.org as string), {
            consensusKey: o.consensusKey as string,
            peerId: o.peerId as string,
            consensusProof: o.consensusProof as string,
            power: o.power as number,
          }),
        'proposal',
      ),
    );
  kind(tx, 'propose-remove-validator', 'a validator proposes removing a validator')
    .requiredOption('--org <id>', 'organization')
    .action((_o, cmd: Command) =>
      run(cmd, async (c, o) => c.f.proposeRemoveValidator(await c.id(o.org as string)), 'proposal'),
    );
  kind(tx, 'vote', 'a validator approves a proposal')
    .requiredOption('--proposal <id>', 'proposal id')
    .action((_o, cmd: Command) => run(cmd, async (c, o) => c.f.voteValidatorChange(await c.id(o.proposal as string))));
}
