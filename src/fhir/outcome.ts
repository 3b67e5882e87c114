/// <reference types="fhir" />
/**
 * Errors of the FHIR facade: one coded error type, answered as an OperationOutcome with the HTTP
 * status FHIR's RESTful API expects. Diagnostics name the parameter, never its value (no PHI, no
 * echo of untrusted input).
 */
import { MedchainError } from '../errors.js';

export const FhirErrorCode = {
  UNKNOWN_PARAMETER: 'FHIR_UNKNOWN_PARAMETER',
  BAD_PARAMETER: 'FHIR_BAD_PARAMETER',
  REPEATED_PARAMETER: 'FHIR_REPEATED_PARAMETER',
  MISSING_SUBJECT: 'FHIR_MISSING_SUBJECT',
  BAD_COUNT: 'FHIR_BAD_COUNT',
  BAD_PAGE: 'FHIR_BAD_PAGE',
  QUERY_TOO_LONG: 'FHIR_QUERY_TOO_LONG',
  NOT_FOUND: 'FHIR_NOT_FOUND',
  UNKNOWN_RESOURCE: 'FHIR_UNKNOWN_RESOURCE',
  METHOD_NOT_ALLOWED: 'FHIR_METHOD_NOT_ALLOWED',
  NOT_ACCEPTABLE: 'FHIR_NOT_ACCEPTABLE',
  UNAUTHORIZED: 'FHIR_UNAUTHORIZED',
  FORBIDDEN: 'FHIR_FORBIDDEN',
  RATE_LIMITED: 'FHIR_RATE_LIMITED',
  UNAVAILABLE: 'FHIR_UNAVAILABLE',
  INTERNAL: 'FHIR_INTERNAL',
} as const;
export type FhirErrorCode = (typeof FhirErrorCode)[keyof typeof FhirErrorCode];

type IssueType = fhir4.OperationOutcomeIssue['code'];

const TABLE: Record<FhirErrorCode, { status: number; issue: IssueType; text: string }> = {
  FHIR_UNKNOWN_PARAMETER: { status: 400, issue: 'not-supported', text: 'Unknown or unsupported search parameter' },
  FHIR_BAD_PARAMETER: { status: 400, issue: 'value', text: 'Invalid search parameter value' },
  FHIR_REPEATED_PARAMETER: { status: 400, issue: 'invalid', text: 'Search parameter repeated' },
  FHIR_MISSING_SUBJECT: { status: 400, issue: 'required', text: 'This search needs a subject parameter' },
  FHIR_BAD_COUNT: { status: 400, issue: 'value', text: '_count out of range' },
  FHIR_BAD_PAGE: { status: 400, issue: 'value', text: 'Invalid or foreign page token' },
  FHIR_QUERY_TOO_LONG: { status: 414, issue: 'too-long', text: 'Query string too long' },
  FHIR_NOT_FOUND: { status: 404, issue: 'not-found', text: 'Resource not found' },
  FHIR_UNKNOWN_RESOURCE: { status: 404, issue: 'not-supported', text: 'Resource type or interaction not supported' },
  FHIR_METHOD_NOT_ALLOWED: { status: 405, issue: 'not-supported', text: 'The FHIR facade is read-only' },
  FHIR_NOT_ACCEPTABLE: { status: 406, issue: 'not-supported', text: 'Only application/fhir+json is served' },
  FHIR_UNAUTHORIZED: { status: 401, issue: 'login', text: 'Unauthorized' },
  FHIR_FORBIDDEN: { status: 403, issue: 'forbidden', text: 'Forbidden' },
  FHIR_RATE_LIMITED: { status: 429, issue: 'throttled', text: 'Rate limit exceeded' },
  FHIR_UNAVAILABLE: { status: 503, issue: 'transient', text: 'Server busy or shutting down' },
  FHIR_INTERNAL: { status: 500, issue: 'exception', text: 'Internal error' },
};

export class FhirError extends MedchainError<FhirErrorCode> {
  get status(): number {
    return TABLE[this.code].status;
  }
}

/** `param` (a parameter name the server knows or the client sent, length-capped) is the only detail. */
export const fhirError = (code: FhirErrorCode, param?: string): FhirError =>
  new FhirError(code, param === undefined ? {} : { param: param.slice(0, 64) });

export function operationOutcome(err: FhirError): fhir4.OperationOutcome {
  const t = TABLE[err.code];
  const param = typeof err.meta.param === 'string' ? err.meta.param : undefined;
  const issue: fhir4.OperationOutcomeIssue = {
    severity: 'error',
    code: t.issue,
    details: { coding: [{ system: 'urn:medchain:error-code', code: err.code }], text: t.text },
  };
  if (param !== undefined) issue.expression = [param.replace(/[^A-Za-z0-9_:.-]/g, '_')];
  return { resourceType: 'OperationOutcome', issue: [issue] };
}
