/**
 * `medchain records import <bundle.json> --from <key> --vault <url> [--patient <id>]`: every
 * resource of a FHIR R4 Bundle encrypted on this machine, stored in the custodian's vault and
 * anchored on chain with its resource type (importBundle in src/client/fhir-import.ts). Progress
 * goes to stderr one line per entry; the summary (a table, or JSON with --json) lists every
 * resource type with what was stored and what was not. Unsupported resources are reported; any
 * failure exits 1 after the rest was tried.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { hex, unhex } from '../client/client.js';
import { importBundle } from '../client/fhir-import.js';
import { RecordVault } from '../client/vault/index.js';
import { idArg, openKey } from './keyfiles.js';
import { CliError, clientOf, Exit, emit, globals, short, table, usage } from './output.js';

/** A bundle file larger than this is refused before it is read. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

/** Adds `import` to the `records` command (created here if no other module registered it yet; cli.ts describes it). */
export function recordsImportCommand(program: Command): void {
  const records = program.commands.find((c) => c.name() === 'records') ?? program.command('records');
  records
    .command('import')
    .description('import a FHIR R4 Bundle: each resource encrypted here, stored in the vault, anchored on chain')
    .argument('<bundle.json>', 'a FHIR R4 Bundle (e.g. a Synthea patient bundle)')
    .requiredOption('--from <key>', 'key (in the keystore) that signs: the patient, or a live delegate')
    .option('--vault <url>', "the custodian's vault (http://host:port; default: the records command's --vault)")
    .option('--patient <id>', 'the patient the records belong to (0x id or @keyname; default: the --from identity)')
    .action(async (file: string, o: { from: string; vault?: string; patient?: string }, cmd: Command) => {
      const g = globals(cmd);
      let vaultUrl: URL;
      try {
        vaultUrl = new URL(o.vault ?? String(cmd.parent?.opts().vault));
      } catch {
        throw usage('--vault must be a URL (http://host:port)');
      }
      let bundle: unknown;
      try {
        if ((await stat(file)).size > MAX_BUNDLE_BYTES) throw usage(`bundle larger than ${MAX_BUNDLE_BYTES} bytes`);
        bundle = JSON.parse(await readFile(file, 'utf8'));
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw usage(`cannot read a JSON bundle from ${file}`);
      }
      const patient = o.patient === undefined ? undefined : unhex(await idArg(g, o.patient));
      const client = clientOf(g);
      const { chainId } = await client.status();
      const account = await openKey(g, o.from);
      const vault = new RecordVault({ client, chainId, account, vaultUrl: vaultUrl.origin });
      const summary = await importBundle(vault, bundle, {
        ...(patient === undefined ? {} : { patient }),
        onProgress: (item, done, total) =>
          process.stderr.write(
            `[${done}/${total}] ${item.resourceType} ${item.status}${item.record ? ` ${short(item.record)}` : ''}${item.reason ? ` (${item.reason})` : ''}\n`,
          ),
      });
      emit(g, { patient: hex(patient ?? account.id), ...summary }, () =>
        [
          table(
            ['RESOURCE TYPE', 'STORED', 'UNSUPPORTED', 'FAILED'],
            Object.entries(summary.byType).map(([t, c]) => [t, c.stored, c.unsupported, c.failed]),
          ),
          `${summary.stored} of ${summary.total} stored, ${summary.unsupported} unsupported, ${summary.failed} failed`,
        ].join('\n'),
      );
      if (summary.failed > 0) throw new CliError(`${summary.failed} resources failed to import`, Exit.ERROR);
    });
}
