/// <reference types="fhir" />
/**
 * The facade's reads: a parsed search or a read by id, answered from the node's indexes and
 * state as FHIR resources and searchset Bundles. Pages follow the index cursor, so the cost of a
 * page depends on the page size, not on the length of the history; `total` is given when it is
 * known without counting (the last page, or a single page).
 */

import type { NodeApi } from '../../rpc/api/types.js';
import { IndexName } from '../../state/index/index.js';
import type { IndexEntry } from '../../state/index/query.js';
import { equal, to0x } from '../codec/bytes.js';
import { type AuditSource, isAudited, outcomeOf, purposeOf, toAuditEvent } from './audit-event.js';
import { FhirErrorCode, fhirError } from './outcome.js';
import type { IdentityKind } from './refs.js';
import { type ConsentView, consentState, toConsent, toProvenance } from './resources.js';
import { encodePage, type Search, type SearchType } from './search.js';
import {
  agentSources,
  consentOfGrant,
  entryAt,
  grantEntry,
  kindOf,
  mergedPage,
  namesRecord,
  ownerOf,
  type Page,
  patientSources,
  recordState,
  type Source,
} from './source.js';

type Resource = fhir4.AuditEvent | fhir4.Consent | fhir4.Provenance;

export class FhirFacade {
  constructor(
    private readonly api: NodeApi,
    private readonly src: AuditSource,
  ) {}

  /** Identity kinds never change once registered: cached (bounded), unknown ids are not. */
  private readonly kinds = new Map<string, IdentityKind>();
  private readonly kind = (id: Uint8Array): IdentityKind | undefined => {
    const k = Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
    const hit = this.kinds.get(k);
    if (hit !== undefined) return hit;
    const v = kindOf(this.api, id);
    if (v !== undefined) {
      if (this.kinds.size >= 10_000) this.kinds.clear();
      this.kinds.set(k, v);
    }
    return v;
  };

  // ---- reads ----

  async read(type: string, id: string): Promise<Resource> {
    const notFound = () => fhirError(FhirErrorCode.NOT_FOUND);
    if (type === 'AuditEvent') {
      const m = /^(\d{1,15})-(\d{1,9})-(\d{1,5})$/.exec(id);
      if (m === null) throw notFound();
      const e = await entryAt(this.api, Number(m[1]), Number(m[2]), Number(m[3]));
      if (e === undefined || !isAudited(e.type)) throw notFound();
      return toAuditEvent(e, this.src, this.kind);
    }
    if (!/^[0-9a-f]{64}$/.test(id)) throw notFound();
    const bytes = new Uint8Array(Buffer.from(id, 'hex'));
    if (type === 'Consent') {
      const e = await grantEntry(this.api, bytes);
      const c = e === undefined ? null : consentOfGrant(this.api, e, this.api.chain.head.time);
      if (e === undefined || c === null) throw notFound();
      return this.consent(e, c);
    }
    if (type === 'Provenance') {
      const r = recordState(this.api, bytes);
      if (r === undefined) throw notFound();
      // The record.added entry: the patient's record index at the creation time, one block group.
      const pg = await mergedPage(
        this.api,
        [{ name: IndexName.RECORDS_BY_PATIENT, subject: r.patient }],
        { from: r.createdAt, to: r.createdAt + 1 },
        1,
        null,
        (e) => e.type === 'record.added' && namesRecord(e, bytes),
      );
      const e = pg.entries[0];
      if (e === undefined) throw notFound();
      return this.provenance(e, bytes);
    }
    throw fhirError(FhirErrorCode.UNKNOWN_RESOURCE);
  }

  // ---- searches ----

  async search(s: Search, selfUrl: (page: string | null) => string, base: string): Promise<fhir4.Bundle> {
    const cursor = s.page?.cursor ?? null;
    const offset = s.page?.offset ?? 0;
    let page: Page;
    let resources: Resource[];
    switch (s.type as SearchType) {
      case 'AuditEvent': {
        const { sources, filter } = await this.auditPlan(s);
        page =
          sources.length === 0
            ? { entries: [], cursor: null }
            : await mergedPage(this.api, sources, s.date, s.count, cursor, filter);
        resources = page.entries.map((e) => toAuditEvent(e, this.src, this.kind));
        break;
      }
      case 'Consent': {
        const sources: Source[] =
          s.patient !== undefined
            ? [{ name: IndexName.CONSENTS_BY_PATIENT, subject: s.patient }]
            : s.agent !== undefined
              ? [{ name: IndexName.CONSENTS_BY_GRANTEE, subject: s.agent }]
              : [];
        if (sources.length === 0) throw fhirError(FhirErrorCode.MISSING_SUBJECT, 'patient');
        const time = this.api.chain.head.time;
        const filter = (e: IndexEntry): boolean => {
          if (e.type !== 'consent.granted') return false;
          const c = consentOfGrant(this.api, e, time);
          return c !== null && this.consentMatches(s, c);
        };
        page = await mergedPage(this.api, sources, s.date, s.count, cursor, filter);
        resources = page.entries.map((e) => this.consent(e, consentOfGrant(this.api, e, time) as ConsentView));
        break;
      }
      default: {
        const patient = s.patient ?? (s.entity === undefined ? undefined : await ownerOf(this.api, s.entity));
        if (patient === undefined) {
          page = { entries: [], cursor: null };
          resources = [];
          break;
        }
        const ent = s.entity;
        const filter = (e: IndexEntry) => e.type === 'record.added' && (ent === undefined || namesRecord(e, ent));
        page = await mergedPage(
          this.api,
          [{ name: IndexName.RECORDS_BY_PATIENT, subject: patient }],
          undefined,
          s.count,
          cursor,
          filter,
        );
        resources = page.entries.map((e) => this.provenance(e, e.attrs.record as Uint8Array));
      }
    }
    const bundle: fhir4.Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      link: [{ relation: 'self', url: selfUrl(s.page === null ? null : encodePage(s.page)) }],
      entry: resources.map((r) => ({
        fullUrl: `${base}/${r.resourceType}/${r.id as string}`,
        resource: r,
        search: { mode: 'match' },
      })),
    };
    if (page.cursor === null) bundle.total = offset + resources.length;
    else
      bundle.link?.push({
        relation: 'next',
        url: selfUrl(encodePage({ cursor: page.cursor, offset: offset + resources.length })),
      });
    return bundle;
  }

  /** Which indexes a search reads and the filter each entry must pass. */
  private async auditPlan(s: Search): Promise<{ sources: Source[]; filter: (e: IndexEntry) => boolean }> {
    const checks: ((e: IndexEntry) => boolean)[] = [(e) => isAudited(e.type)];
    let sources: Source[];
    if (s.patient !== undefined) sources = patientSources(s.patient);
    else if (s.entity !== undefined) {
      const owner = await ownerOf(this.api, s.entity);
      sources = owner === undefined ? [] : patientSources(owner);
    } else sources = agentSources(s.agent as Uint8Array);
    const { patient, agent, entity, outcome, purpose } = s;
    // The agent's own indexes need no agent check; under a patient or a record they do.
    if (agent !== undefined && (patient !== undefined || entity !== undefined)) checks.push((e) => involves(e, agent));
    if (entity !== undefined) checks.push((e) => namesRecord(e, entity) || sameAttr(e, 'consent', entity));
    if (outcome !== undefined) checks.push((e) => outcome.has(outcomeOf(e)));
    if (purpose !== undefined)
      checks.push((e) => {
        const p = purposeOf(e);
        return (p !== null && purpose.has(p)) || (e.attrs.emergency === true && purpose.has('BTG'));
      });
    return { sources, filter: (e) => checks.every((c) => c(e)) };
  }

  private consentMatches(s: Search, c: ConsentView): boolean {
    if (s.patient !== undefined && c.patient !== to0x(s.patient)) return false;
    if (s.agent !== undefined && c.grantee !== to0x(s.agent)) return false;
    if (s.status !== undefined && !s.status.has(consentState(c, this.liveRecords(c).length) as string)) return false;
    if (s.period !== undefined) {
      const end = c.revokedAt ?? c.expiresAt;
      if (s.period.to !== undefined && c.notBefore >= s.period.to) return false;
      if (s.period.from !== undefined && end <= s.period.from) return false;
    }
    return true;
  }

  private liveRecords(c: ConsentView): string[] {
    return c.records.filter((r) => recordState(this.api, hexBytes(r))?.erased !== true);
  }

  private consent(e: IndexEntry, c: ConsentView): fhir4.Consent {
    const erased = new Set<string>();
    const types = new Map<string, string>();
    for (const r of c.records) {
      const st = recordState(this.api, hexBytes(r));
      if (st === undefined) continue;
      if (st.erased) erased.add(r);
      types.set(r, st.resourceType);
    }
    return toConsent(c, {
      granted: { height: e.height, txHash: e.txHash, receipt: e.receipt, seq: e.seq, time: e.time },
      granteeKind: this.kind(hexBytes(c.grantee)),
      erased,
      recordTypes: types,
    });
  }

  private provenance(e: IndexEntry, record: Uint8Array): fhir4.Provenance {
    const st = recordState(this.api, record);
    const author = st?.author ?? (e.attrs.author as Uint8Array);
    return toProvenance({
      record,
      patient: st?.patient ?? (e.attrs.patient as Uint8Array),
      resourceType: st?.resourceType ?? String(e.attrs.resourceType),
      author,
      custodian: st?.custodian ?? (e.attrs.custodian as Uint8Array),
      commitment: st?.commitment ?? null,
      erasedAt: st?.erased === true ? st.erasedAt : null,
      added: { height: e.height, txHash: e.txHash, receipt: e.receipt, seq: e.seq, time: e.time },
      authorKind: this.kind(author),
    });
  }
}

const hexBytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.slice(2), 'hex'));

function sameAttr(e: IndexEntry, k: string, id: Uint8Array): boolean {
  const v = e.attrs[k];
  return v instanceof Uint8Array && equal(v, id);
}

/** The agent took part: as grantee, signer, author, custodian or organization. */
function involves(e: IndexEntry, agent: Uint8Array): boolean {
  return ['grantee', 'by', 'author', 'custodian', 'org'].some((k) => sameAttr(e, k, agent));
}
