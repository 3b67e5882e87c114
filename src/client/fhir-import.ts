/**
 * FHIR R4 bundles in: each resource of a Bundle (as an EHR exports it; Synthea patient bundles are
 * the usual test data) is encrypted on the client, stored in the custodian's vault and anchored on
 * chain with its own resource type (`RecordVault.store`). Resource types a record pointer cannot
 * name (Patient, Practitioner, Organization, Claim, ...) are reported as unsupported, never
 * dropped silently. Progress and the summary carry resource types, positions and record ids only:
 * never the resources' content or their FHIR ids.
 */
import { MedchainError } from '../errors.js';
import { RESOURCE_TYPES, type ResourceType } from '../tx/kinds.js';
import { hex } from './hex.js';

export const ImportErrorCode = {
  NOT_A_BUNDLE: 'IMPORT_NOT_A_BUNDLE',
  TOO_MANY_ENTRIES: 'IMPORT_TOO_MANY_ENTRIES',
} as const;
export type ImportErrorCode = (typeof ImportErrorCode)[keyof typeof ImportErrorCode];
export class ImportError extends MedchainError<ImportErrorCode> {}

/** What the import needs of a vault: the vault SDK's RecordVault (the client never imports vault/). */
export interface RecordSink {
  store(
    plaintext: Uint8Array,
    r: { resourceType: ResourceType; patient?: Uint8Array },
  ): Promise<{
    record: Uint8Array;
    tx: string;
  }>;
}

export type ImportStatus = 'stored' | 'unsupported' | 'failed';

export interface ImportItem {
  /** Position of the entry in the bundle (0-based). */
  index: number;
  resourceType: string;
  status: ImportStatus;
  /** Record id (0x) and ADD_RECORD tx hash, when stored. */
  record?: string;
  tx?: string;
  /** Why it was not stored: UNSUPPORTED_TYPE, NO_RESOURCE, TOO_LARGE or the coded error. */
  reason?: string;
}

export interface ImportSummary {
  total: number;
  stored: number;
  unsupported: number;
  failed: number;
  /** Per resource type: how many stored / not. */
  byType: Record<string, { stored: number; unsupported: number; failed: number }>;
  items: ImportItem[];
}

export interface ImportOptions {
  /** The patient the records belong to (default: the vault account's identity). */
  patient?: Uint8Array;
  /** Called after each entry. */
  onProgress?: (item: ImportItem, done: number, total: number) => void;
  /** Entries accepted in one bundle (default 10,000). */
  maxEntries?: number;
  /** One resource's JSON size (default 4 MiB; larger ones are reported TOO_LARGE). */
  maxResourceBytes?: number;
}

const SUPPORTED: ReadonlySet<string> = new Set(RESOURCE_TYPES);
export const isImportable = (resourceType: string): resourceType is ResourceType => SUPPORTED.has(resourceType);

const enc = new TextEncoder();

/** Imports every entry of `bundle` (already parsed JSON) through `vault`, one after the other, in order. */
export async function importBundle(vault: RecordSink, bundle: unknown, o: ImportOptions = {}): Promise<ImportSummary> {
  const b = bundle as { resourceType?: unknown; entry?: unknown };
  if (typeof b !== 'object' || b === null || b.resourceType !== 'Bundle')
    throw new ImportError(ImportErrorCode.NOT_A_BUNDLE);
  const entries = b.entry === undefined ? [] : b.entry;
  if (!Array.isArray(entries)) throw new ImportError(ImportErrorCode.NOT_A_BUNDLE);
  const max = o.maxEntries ?? 10_000;
  if (entries.length > max) throw new ImportError(ImportErrorCode.TOO_MANY_ENTRIES, { entries: entries.length, max });
  const maxBytes = o.maxResourceBytes ?? 4 * 1024 * 1024;
  const summary: ImportSummary = { total: entries.length, stored: 0, unsupported: 0, failed: 0, byType: {}, items: [] };
  for (let index = 0; index < entries.length; index++) {
    const resource = (entries[index] as { resource?: unknown } | null)?.resource;
    const type = (resource as { resourceType?: unknown } | undefined)?.resourceType;
    const resourceType = typeof type === 'string' && /^[A-Z][A-Za-z]{0,63}$/.test(type) ? type : '(none)';
    let item: ImportItem;
    if (typeof resource !== 'object' || resource === null || resourceType === '(none)')
      item = { index, resourceType, status: 'unsupported', reason: 'NO_RESOURCE' };
    else if (!isImportable(resourceType))
      item = { index, resourceType, status: 'unsupported', reason: 'UNSUPPORTED_TYPE' };
    else {
      const plaintext = enc.encode(JSON.stringify(resource));
      if (plaintext.length > maxBytes) item = { index, resourceType, status: 'failed', reason: 'TOO_LARGE' };
      else {
        try {
          const s = await vault.store(plaintext, {
            resourceType,
            ...(o.patient === undefined ? {} : { patient: o.patient }),
          });
          item = { index, resourceType, status: 'stored', record: hex(s.record), tx: s.tx };
        } catch (err) {
          const code = err instanceof MedchainError ? err.code : 'ERROR';
          const reason =
            err instanceof MedchainError && typeof err.meta.reason === 'string' ? `${code} ${err.meta.reason}` : code;
          item = { index, resourceType, status: 'failed', reason };
        }
      }
    }
    summary[item.status]++;
    summary.byType[resourceType] ??= { stored: 0, unsupported: 0, failed: 0 };
    summary.byType[resourceType][item.status]++;
    summary.items.push(item);
    o.onProgress?.(item, index + 1, entries.length);
  }
  return summary;
}
