/** The FHIR R4 facade (read-only, at <rpc url>/fhir) and the ITI-20 audit feed. */
export { AUDITED_EVENTS, type AuditSource, auditEventId, isAudited, toAuditEvent } from './audit-event.js';
export { type FhirAccess, type FhirAuthorizer, type FhirRefusal, operatorTokenAuthorizer } from './authorize.js';
export { capabilityStatement } from './capability.js';
export { FhirFacade } from './facade.js';
export { AuditFeed, type FeedDeps } from './feed.js';
export { type FhirDeps, FhirHandler } from './http.js';
export { defaultFeedOptions, defaultFhirOptions, type FeedOptions, type FhirOptions } from './options.js';
export { FhirError, FhirErrorCode, operationOutcome } from './outcome.js';
export { type ScopedAuthorizerDeps, scopedAuthorizer } from './scoped.js';
export { parseSearch, SEARCH_PARAMS } from './search.js';
