/**
 * `medchain records store|share|open|erase|receipt`: the off-chain vault from a terminal, through
 * the client vault SDK (src/client/vault): encrypt on this machine, upload to the custodian's
 * vault, anchor the pointer, wrap the data key for a grantee, open with a signed request whose
 * ACCESS tx goes on chain, erase, and show the custodian's signed deletion receipt.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { hex, unhex } from '../client/client.js';
import type { PurposeName } from '../client/tx.js';
import { type DeletionReceipt, RecordVault, VaultErrorCode } from '../client/vault/index.js';
import { isCoded } from '../errors.js';
import { RESOURCE_TYPES, type ResourceType } from '../tx/kinds.js';
import { requireIdentity, requireRecords } from './checks.js';
import { idArg, openKey } from './keyfiles.js';
import { CliError, clientOf, Exit, emit, fields, type GlobalOpts, globals } from './output.js';
import { timeArg } from './tx.js';

const PURPOSES = ['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'BTG'];
const purposeArg = (v: string): string => {
  if (!PURPOSES.includes(v)) throw new InvalidArgumentError(`one of ${PURPOSES.join(', ')}`);
  return v;
};
const list = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').filter((x) => x !== '')];
const uintArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('a non-negative integer');
  return n;
};

interface RecOpts {
  vault: string;
  quiet?: boolean;
}

/** What to do next, per chain reason code of a refused open. */
const NEXT: Record<string, string> = {
  NO_CONSENT: 'ask the patient to share the record with you (medchain records share)',
  EXPIRED: 'the consent has expired in block time: ask the patient for a new one',
  REVOKED: 'the patient revoked the consent',
  ERASED: 'the patient erased this record; the custodian shreds its copy',
  UNKNOWN_RECORD: 'check the record id (medchain query records <patient>)',
  NOT_YET_VALID: 'the consent starts later (its not-before time)',
  SUSPENDED: 'your identity is suspended: your organization can reinstate it',
};

/** A vault or chain refusal as a CLI error: the code, the record, and a next step. */
function vaultFailure(err: unknown, record: string): never {
  if (!isCoded(err) || !err.code.startsWith('VAULT_')) throw err;
  const reason = typeof err.meta.reason === 'string' ? err.meta.reason : undefined;
  const what = `record ${record}: ${err.code}${reason === undefined ? '' : ` (${reason})`}`;
  switch (err.code) {
    case VaultErrorCode.DENIED:
    case VaultErrorCode.NOT_AUTHORIZED:
      throw new CliError(`${what}: ${NEXT[reason ?? ''] ?? 'the chain refused it; see medchain audit'}`, Exit.DENIED);
    case VaultErrorCode.UNAVAILABLE:
      throw new CliError(`${what}: the vault did not answer; check --vault (or MEDCHAIN_VAULT)`, Exit.UNREACHABLE);
    case VaultErrorCode.NOT_FOUND:
    case VaultErrorCode.NO_KEY:
      throw new CliError(`${what}: the vault holds no such record or no key for you`, Exit.RPC);
    default:
      throw new CliError(`${what}`, Exit.RPC);
  }
}

/** The SDK for the --from key against the vault. */
async function vaultAs(cmd: Command, from: string): Promise<{ g: GlobalOpts & RecOpts; v: RecordVault }> {
  const g = globals(cmd) as GlobalOpts & RecOpts;
  const client = clientOf(g);
  const { chainId } = await client.status();
  const account = await openKey(g, from);
  return { g, v: new RecordVault({ client, chainId, account, vaultUrl: g.vault.replace(/\/$/, '') }) };
}

/** Prints just the created id with --quiet (for `ID=$(...)`), else fields or JSON. */
function report(g: GlobalOpts & RecOpts, id: string, out: Record<string, unknown>): void {
  if (g.quiet === true && !g.json) process.stdout.write(`${id}\n`);
  else emit(g, out, () => fields(out));
}

export function recordsCommand(program: Command): void {
  const records = program
    .command('records')
    .addOption(
      new Option('--vault <url>', "the custodian's vault").env('MEDCHAIN_VAULT').default('http://127.0.0.1:8600'),
    )
    .option('-q, --quiet', 'print only the id of what was created (record, consent, tx)', false)
    .addHelpText(
      'after',
      '\nThe record is encrypted here; the vault gets ciphertext, the chain a salted commitment and an opaque locator.',
    );

  records
    .command('store')
    .description('encrypt a file, upload it to the vault, anchor its pointer on chain; prints the record id')
    .requiredOption('--from <key>', 'the patient (or their organization) who stores it')
    .requiredOption('--file <path>', 'the record (e.g. FHIR JSON); - for stdin')
    .addOption(new Option('--type <fhirType>', 'FHIR resource type').choices([...RESOURCE_TYPES]).makeOptionMandatory())
    .option('--patient <id>', 'the patient (default: the --from identity)')
    .action(async (o: { from: string; file: string; type: string; patient?: string }, cmd: Command) => {
      const { g, v } = await vaultAs(cmd, o.from);
      const data = new Uint8Array(o.file === '-' ? await readStdin() : await readFile(o.file));
      const patient = o.patient === undefined ? undefined : unhex(await idArg(g, o.patient));
      let s: Awaited<ReturnType<RecordVault['store']>>;
      try {
        s = await v.store(data, { resourceType: o.type as ResourceType, ...(patient && { patient }) });
      } catch (err) {
        vaultFailure(err, 'new');
      }
      const id = hex(s.record);
      report(g, id, { record: id, tx: s.tx, locator: hex(s.locator), commitment: hex(s.commitment) });
    });

  records
    .command('share')
    .description("grant a consent on records and wrap each record's key for the grantee; prints the consent id")
    .requiredOption('--from <key>', 'the patient (who stored the records in this session or can open them)')
    .requiredOption('--record <ids>', 'records (comma-separated, repeatable)', list)
    .requiredOption('--grantee <id>', 'practitioner or organization')
    .requiredOption('--purposes <purposes>', 'purposes of use, e.g. ETREAT', (v, p: string[] = []) =>
      list(v, p).map(purposeArg),
    )
    .option('--hours <n>', 'duration in hours of block time', uintArg, 24)
    .option('--until <time>', 'end instead of --hours: ms, ISO date or +N[smhd]', timeArg)
    .action(
      async (
        o: { from: string; record: string[]; grantee: string; purposes: string[]; hours: number; until?: number },
        cmd: Command,
      ) => {
        const g0 = globals(cmd);
        const grantee = await idArg(g0, o.grantee);
        const ids = await Promise.all(o.record.map((r) => idArg(g0, r)));
        const { g, v } = await vaultAs(cmd, o.from);
        await requireRecords(v.o.client, ids);
        await requireIdentity(v.o.client, grantee, 'grantee');
        let consent: string;
        try {
          consent = await v.share(
            ids.map((r) => unhex(r)),
            unhex(grantee),
            {
              purposes: o.purposes as PurposeName[],
              ...(o.until === undefined ? { hours: o.hours } : { expiresAt: o.until }),
            },
          );
        } catch (err) {
          vaultFailure(err, ids.join(','));
        }
        report(g, consent, { consent, records: ids, grantee });
      },
    );

  records
    .command('open')
    .description('open a record: a signed request and your ACCESS tx (on chain first), then decrypt here')
    .requiredOption('--from <key>', 'who opens it (the grantee, the patient, or under break-glass)')
    .requiredOption('--record <id>', 'record')
    .requiredOption(
      '--purpose <purpose>',
      'purpose of use (must match the consent; ETREAT for break-glass)',
      purposeArg,
    )
    .option('--out <file>', 'write the record to a file (mode 0600) instead of stdout')
    .action(async (o: { from: string; record: string; purpose: string; out?: string }, cmd: Command) => {
      const record = await idArg(globals(cmd), o.record);
      const { g, v } = await vaultAs(cmd, o.from);
      let r: Awaited<ReturnType<RecordVault['open']>>;
      try {
        r = await v.open(unhex(record), o.purpose as PurposeName);
      } catch (err) {
        vaultFailure(err, record);
      }
      const meta = { record, accessTx: r.accessTx, emergency: r.emergency, session: r.session };
      if (o.out !== undefined) {
        await writeFile(o.out, r.plaintext, { mode: 0o600 });
        emit(g, { ...meta, out: o.out }, () => fields({ ...meta, out: o.out }));
      } else if (g.json) {
        emit(g, { ...meta, data: new TextDecoder().decode(r.plaintext) }, () => '');
      } else {
        process.stdout.write(r.plaintext);
        process.stdout.write('\n');
        process.stderr.write(`access ${r.accessTx}${r.emergency ? ` EMERGENCY session ${r.session}` : ''}\n`);
      }
    });

  records
    .command('erase')
    .description(
      'erase a record (GDPR): the pointer becomes a tombstone; the vault shreds its copy and signs a receipt',
    )
    .requiredOption('--from <key>', 'the patient')
    .requiredOption('--record <id>', 'record')
    .action(async (o: { from: string; record: string }, cmd: Command) => {
      const record = await idArg(globals(cmd), o.record);
      const { g, v } = await vaultAs(cmd, o.from);
      await requireRecords(v.o.client, [record]);
      let tx: string;
      try {
        tx = await v.erase(unhex(record));
      } catch (err) {
        vaultFailure(err, record);
      }
      report(g, tx, { record, eraseTx: tx, next: `medchain records receipt --record ${record} --wait` });
    });

  records
    .command('receipt')
    .description("the custodian's signed deletion receipt of an erased record (and the tx anchoring it)")
    .requiredOption('--record <id>', 'record')
    .option('--wait', 'wait until the vault has shredded the record and anchored the receipt on chain', false)
    .option('--timeout-ms <ms>', 'how long --wait waits', uintArg, 60_000)
    .action(async (o: { record: string; wait: boolean; timeoutMs: number }, cmd: Command) => {
      const g = globals(cmd) as GlobalOpts & RecOpts;
      const record = await idArg(g, o.record);
      const deadline = Date.now() + o.timeoutMs;
      let r = await fetchReceipt(g.vault, record);
      while (o.wait && (r === undefined || r.attestTx === undefined) && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 500));
        r = await fetchReceipt(g.vault, record);
      }
      if (r === undefined)
        throw new CliError(
          `no deletion receipt for record ${record} yet: the vault shreds once the erasure is final (use --wait)`,
          Exit.RPC,
        );
      const out = r as unknown as Record<string, unknown>;
      emit(g, out, () => fields(out));
    });
}

async function fetchReceipt(vault: string, record: string): Promise<DeletionReceipt | undefined> {
  let res: Response;
  try {
    res = await fetch(`${vault.replace(/\/$/, '')}/v1/records/${record}/receipt`);
  } catch {
    throw new CliError(`the vault at ${vault} did not answer: check --vault (or MEDCHAIN_VAULT)`, Exit.UNREACHABLE);
  }
  if (res.status === 404) return undefined;
  if (!res.ok) throw new CliError(`the vault answered HTTP ${res.status} for the receipt of ${record}`, Exit.RPC);
  return (await res.json()) as DeletionReceipt;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
