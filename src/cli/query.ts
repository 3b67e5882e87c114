/** `medchain status`, `medchain query ...` and `medchain audit <patient>`: read the chain over JSON-RPC. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { MedchainClient } from '../client/client.js';
import type { AuditEntry, HeaderJson, ValidatorJson } from '../client/types.js';
import { verifyAuditEntry, verifyCommit } from '../client/verify.js';
import { idArg, openKey } from './keyfiles.js';
import { Names } from './names.js';
import { CliError, clientOf, Exit, emit, fields, type GlobalOpts, globals, short, table, when } from './output.js';
import { timeArg } from './tx.js';

const uintArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('a non-negative integer');
  return n;
};
const blockArg = (v: string): number | string => (/^\d+$/.test(v) ? Number(v) : v);
const list = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').filter((x) => x !== '')];

interface PageOpts {
  from?: number;
  to?: number;
  limit?: number;
  cursor?: string;
  reverse?: boolean;
}
const pageOf = (o: PageOpts) => ({
  ...(o.from !== undefined && { from: o.from }),
  ...(o.to !== undefined && { to: o.to }),
  ...(o.limit !== undefined && { limit: o.limit }),
  ...(o.cursor !== undefined && { cursor: o.cursor }),
  ...(o.reverse === true && { reverse: true }),
});
const withPage = (c: Command): Command =>
  c
    .option('--from <time>', 'block time from (ms, ISO date, +/-N[smhd])', timeArg)
    .option('--to <time>', 'block time to (exclusive)', timeArg)
    .option('--limit <n>', 'page size (max 1000)', uintArg)
    .option('--cursor <0x>', 'the cursor printed by the previous page')
    .option('--reverse', 'newest first', false);

async function q(
  cmd: Command,
  fn: (c: MedchainClient, g: GlobalOpts, id: (v: string) => Promise<string>) => Promise<void>,
): Promise<void> {
  const g = globals(cmd);
  // Personal data needs a scope: a signed-in key (--as), else the operator token of the environment.
  const client = g.as === undefined ? clientOf(g) : MedchainClient.http(g.rpc, { account: await openKey(g, g.as) });
  await fn(client, g, (v) => idArg(g, v));
}

const cursorLine = (c: string | null): string => (c === null ? '' : `\nmore: --cursor ${c}`);

/** Who acted in an entry: the grantee of an access or consent, else the signer. */
const actorOf = (e: AuditEntry): string | null =>
  (e.attrs.grantee as string | undefined) ?? (e.attrs.by as string | undefined) ?? null;

function entryRows(entries: AuditEntry[], names: Names, verified?: boolean[]) {
  return entries.map((e, i) => {
    const a = e.attrs;
    const detail =
      e.type === 'access'
        ? `${a.granted ? 'GRANTED' : `DENIED ${a.code ?? ''}`} ${a.purpose ?? ''}${a.emergency ? ' EMERGENCY' : ''}`
        : e.type.startsWith('consent.')
          ? `consent ${short(a.consent as string)}`
          : e.type.startsWith('record.')
            ? `record ${short(a.record as string)} ${a.resourceType ?? ''}`
            : ((a.code as string | undefined) ?? '');
    const row = [when(e.time), e.height, e.type, names.label(actorOf(e)), detail.trim()];
    return verified === undefined ? row : [...row, verified[i] ? 'ok' : 'FAILED'];
  });
}

export function queryCommands(program: Command): void {
  program.command('status').action((_o, cmd: Command) =>
    q(cmd, async (c, g) => {
      const s = await c.status();
      emit(g, s, () =>
        fields({
          chain: s.chainId,
          node: g.rpc,
          head: `${s.headHeight} at ${when(s.headTime)}`,
          finalized: s.finalizedHeight,
          headHash: s.headHash,
          stateRoot: s.stateRoot,
          syncing: s.syncing,
          mempool: s.mempoolSize,
        }),
      );
    }),
  );

  const query = program.command('query');

  query
    .command('identity <id>')
    .description('an identity (0x id or @keyname)')
    .action((id: string, _o, cmd: Command) =>
      q(cmd, async (c, g, idOf) => {
        const r = await c.call('identity_get', { id: await idOf(id) });
        if (r.identity === null) throw new CliError('no such identity', Exit.RPC);
        const i = r.identity;
        emit(g, r, () =>
          fields({
            id: i.id,
            type: i.type,
            name: i.name,
            org: i.org,
            publicKey: i.pubkey,
            registered: when(i.registeredAt),
            suspended: i.suspended,
            license: i.license ? `${when(i.license.validFrom)} .. ${when(i.license.validUntil)}` : null,
          }),
        );
      }),
    );

  query
    .command('credentials <practitioner>')
    .description("a practitioner's credentials")
    .action((id: string, _o, cmd: Command) =>
      q(cmd, async (c, g, idOf) => {
        const r = await c.call('credential_list', { practitioner: await idOf(id) });
        const names = await Names.load(g, c);
        if (!g.json) await names.resolve(r.credentials.map((x) => x.issuer));
        emit(g, r, () =>
          table(
            ['TYPE', 'QUALIFIER', 'ISSUER', 'FROM', 'UNTIL', 'REVOKED', 'VALID'],
            r.credentials.map((x) => [
              x.type,
              x.qualifier,
              names.label(x.issuer),
              when(x.validFrom),
              when(x.validUntil),
              when(x.revokedAt),
              x.valid,
            ]),
          ),
        );
      }),
    );

  query
    .command('record <id>')
    .description('a record pointer (or tombstone)')
    .action((id: string, _o, cmd: Command) =>
      q(cmd, async (c, g, idOf) => {
        const r = await c.call('record_get', { record: await idOf(id) });
        if (r.record === null) throw new CliError('no such record', Exit.RPC);
        const x = r.record;
        emit(g, r, () =>
          fields({
            id: x.id,
            patient: x.patient,
            type: x.resourceType,
            custodian: x.custodian,
            author: x.author,
            created: when(x.createdAt),
            erased: x.erased,
            legalHold: x.legalHold,
            commitment: x.commitment,
          }),
        );
      }),
    );

  withPage(query.command('records <patient>').description("a patient's record pointers")).action(
    (id: string, o: PageOpts, cmd: Command) =>
      q(cmd, async (c, g, idOf) => {
        const r = await c.call('record_listByPatient', { patient: await idOf(id), page: pageOf(o) });
        const names = await Names.load(g, c);
        if (!g.json) await names.resolve(r.records.map((x) => x.custodian));
        emit(
          g,
          r,
          () =>
            table(
              ['RECORD', 'TYPE', 'CREATED', 'CUSTODIAN', 'ERASED'],
              r.records.map((x) => [x.id, x.resourceType, when(x.createdAt), names.label(x.custodian), x.erased]),
            ) + cursorLine(r.cursor),
        );
      }),
  );

  query
    .command('consent <id>')
    .description('a consent and its status now')
    .action((id: string, _o, cmd: Command) =>
      q(cmd, async (c, g, idOf) => {
        const r = await c.call('consent_get', { consent: await idOf(id) });
        const x = r.consent;
        emit(g, r, () =>
          fields({
            id: x.id,
            status: x.status,
            patient: x.patient,
            grantee: x.grantee,
            records: x.records,
            types: x.resourceTypes,
            actions: x.actions,
            purposes: x.purposes,
            notBefore: when(x.notBefore),
            expires: when(x.expiresAt),
            revoked: when(x.revokedAt),
          }),
        );
      }),
    );

  withPage(
    query
      .command('consents')
      .description('consents of a patient (--patient) or granted to a grantee (--grantee)')
      .option('--patient <id>', 'patient')
      .option('--grantee <id>', 'practitioner or organization')
      .option('--status <states>', 'active,pending,expired,revoked,removed', list),
  ).action((o: PageOpts & { patient?: string; grantee?: string; status?: string[] }, cmd: Command) =>
    q(cmd, async (c, g, idOf) => {
      if ((o.patient === undefined) === (o.grantee === undefined))
        throw new CliError('give exactly one of --patient, --grantee', Exit.USAGE);
      const status = o.status as ('active' | 'pending' | 'expired' | 'revoked' | 'removed')[] | undefined;
      const r =
        o.patient !== undefined
          ? await c.call('consent_listByPatient', {
              patient: await idOf(o.patient),
              page: pageOf(o),
              ...(status && { status }),
            })
          : await c.call('consent_listByGrantee', {
              grantee: await idOf(o.grantee as string),
              page: pageOf(o),
              ...(status && { status }),
            });
      const names = await Names.load(g, c);
      if (!g.json) await names.resolve(r.consents.flatMap((x) => [x.patient, x.grantee]));
      emit(
        g,
        r,
        () =>
          table(
            ['CONSENT', 'STATUS', 'PATIENT', 'GRANTEE', 'PURPOSES', 'EXPIRES'],
            r.consents.map((x) => [
              x.id,
              x.status,
              names.label(x.patient),
              names.label(x.grantee),
              x.purposes.join(','),
              when(x.expiresAt),
            ]),
          ) + cursorLine(r.cursor),
      );
    }),
  );

  query
    .command('access <grantee> <record>')
    .description('the decision the chain would make now on an access (exit 5 when denied)')
    .addOption(
      new Option('--purpose <purpose>', 'purpose of use')
        .choices(['TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'HRESCH', 'PUBHLTH', 'BTG'])
        .default('TREAT'),
    )
    .addOption(new Option('--action <action>', 'read or write').choices(['read', 'write']).default('read'))
    .action((grantee: string, record: string, o: { purpose: string; action: string }, cmd: Command) =>
      q(cmd, async (c, g, idOf) => {
        const r = await c.call('access_check', {
          grantee: await idOf(grantee),
          record: await idOf(record),
          action: o.action as 'read',
          purpose: o.purpose as 'TREAT',
        });
        emit(g, r, () =>
          fields({
            decision: r.granted ? 'GRANTED' : `DENIED (${r.code})`,
            consent: r.consent,
            emergency: r.emergency,
            patient: r.patient,
            atHeight: r.height,
          }),
        );
        if (!r.granted) throw new CliError(`access denied: ${r.code}`, Exit.DENIED);
      }),
    );

  query
    .command('block [block]')
    .description('a block header and its tx hashes (height, 0x hash or latest)')
    .action((b: string | undefined, _o, cmd: Command) =>
      q(cmd, async (c, g) => {
        const r = await c.call('chain_getBlock', b === undefined ? {} : { block: blockArg(b) as number });
        emit(
          g,
          r,
          () =>
            `${fields({ height: r.header.height, hash: r.header.hash, time: when(r.header.time), proposer: r.header.proposer, stateRoot: r.header.stateRoot, txs: r.txs.length })}${r.txs.map((t) => `\n  ${t}`).join('')}`,
        );
      }),
    );

  query
    .command('tx <hash>')
    .description("a committed transaction's receipt: status, code and events")
    .action((hash: string, _o, cmd: Command) =>
      q(cmd, async (c, g) => {
        const r = await c.call('tx_getReceipt', { hash });
        emit(g, r, () =>
          fields({
            hash: r.txHash,
            status: r.status + (r.code ? ` (${r.code})` : ''),
            height: r.height,
            time: when(r.time),
            events: r.events.map((e) => e.type),
          }),
        );
      }),
    );

  query
    .command('validators')
    .description('the validator set')
    .action((_o, cmd: Command) =>
      q(cmd, async (c, g) => {
        const r = await c.call('chain_getValidators');
        const names = await Names.load(g, c);
        if (!g.json) await names.resolve(r.map((v) => v.id));
        emit(g, r, () =>
          table(
            ['ORGANIZATION', 'PUBLIC KEY', 'POWER'],
            r.map((v) => [names.label(v.id), short(v.pubkey), v.power]),
          ),
        );
      }),
    );

  query
    .command('peers')
    .description('connected peers')
    .action((_o, cmd: Command) =>
      q(cmd, async (c, g) => {
        const r = await c.call('net_peers');
        emit(g, r, () =>
          table(
            ['PEER', 'HEIGHT'],
            r.map((p) => [p.peerId, p.height]),
          ),
        );
      }),
    );

  withPage(
    program
      .command('audit <patient>')
      .option('--kinds <types>', 'event types, e.g. access,consent.granted', list)
      .option('--disclosures', 'the HIPAA accounting of disclosures (accesses and emergencies only)', false)
      .option('--verify', 'fetch proofs and verify every entry offline against headers and commit certificates', false),
  ).action((patient: string, o: PageOpts & { kinds?: string[]; disclosures: boolean; verify: boolean }, cmd: Command) =>
    q(cmd, async (c, g, idOf) => {
      const id = await idOf(patient);
      const proofs = o.verify;
      const r = o.disclosures
        ? await c.call('audit_disclosures', { patient: id, page: pageOf(o), proofs })
        : await c.call('audit_query', { patient: id, page: pageOf(o), proofs, ...(o.kinds && { kinds: o.kinds }) });
      const entries: AuditEntry[] = 'disclosures' in r ? r.disclosures : r.entries;
      let verified: boolean[] | undefined;
      if (o.verify) verified = await verifyAll(c, entries);
      const names = await Names.load(g, c);
      if (!g.json) await names.resolve(entries.map(actorOf));
      emit(
        g,
        verified === undefined ? r : { ...r, verified },
        () =>
          table(
            ['TIME', 'HEIGHT', 'EVENT', 'BY', 'DETAIL', ...(verified ? ['PROOF'] : [])],
            entryRows(entries, names, verified),
          ) + cursorLine(r.cursor),
      );
      if (verified?.some((v) => !v)) throw new CliError('some entries failed verification', Exit.ERROR);
    }),
  );
}

/** Each entry against its header (verified by the commit certificate of the current validator set). */
async function verifyAll(c: MedchainClient, entries: AuditEntry[]): Promise<boolean[]> {
  const validators: ValidatorJson[] = await c.call('chain_getValidators');
  const headers = new Map<number, { header: HeaderJson; ok: boolean }>();
  const out: boolean[] = [];
  for (const e of entries) {
    let h = headers.get(e.height);
    if (h === undefined) {
      const header = await c.call('chain_getHeader', { block: e.height });
      const commit = await c.call('chain_getCommit', { block: e.height });
      h = { header, ok: verifyCommit(commit, header, validators) };
      headers.set(e.height, h);
    }
    out.push(h.ok && verifyAuditEntry(e, h.header));
  }
  return out;
}
