/**
 * A tiny Synthea-style generator of synthetic FHIR R4 resources (never real PHI): deterministic
 * from a seed, with marker strings the leak scan looks for.
 */
const FIRST = ['Aurelio', 'Brunhilde', 'Casimir', 'Delphine', 'Evander', 'Filippa'];
const LAST = ['Quennell', 'Rasmusson', 'Szczepanik', 'Thorvaldsen', 'Umberfield', 'Vandersloot'];
const ALLERGENS = [
  ['91936005', 'Allergy to penicillin'],
  ['300913006', 'Shellfish allergy'],
  ['418689008', 'Allergy to grass pollen'],
];
const MEDS = [
  ['197361', 'Amlodipine 5 MG Oral Tablet'],
  ['860975', 'Metformin hydrochloride 500 MG Oral Tablet'],
  ['314076', 'Lisinopril 10 MG Oral Tablet'],
];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
const pick = <T>(r: () => number, a: readonly T[]): T => a[Math.floor(r() * a.length)] as T;
const uuid = (r: () => number): string =>
  'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const v = Math.floor(r() * 16);
    return (c === 'x' ? v : (v & 3) | 8).toString(16);
  });

export interface SyntheticPatient {
  patient: Record<string, unknown>;
  allergy: Record<string, unknown>;
  medication: Record<string, unknown>;
  condition: Record<string, unknown>;
  observation: Record<string, unknown>;
  encounter: Record<string, unknown>;
  /** Strings that must never appear on chain or in logs. */
  secrets: string[];
}

export function syntheticPatient(seed: number): SyntheticPatient {
  const r = rng(seed);
  const pid = uuid(r);
  const given = `${pick(r, FIRST)}${seed}`;
  const family = `${pick(r, LAST)}${Math.floor(r() * 1e6)}`;
  const [aCode, aText] = pick(r, ALLERGENS);
  const [mCode, mText] = pick(r, MEDS);
  const mrn = `MRN-${Math.floor(r() * 1e9)}`;
  const subject = { reference: `urn:uuid:${pid}` };
  const encId = uuid(r);
  return {
    patient: {
      resourceType: 'Patient',
      id: pid,
      identifier: [{ system: 'http://hospital.example.org/mrn', value: mrn }],
      name: [{ use: 'official', family, given: [given] }],
      gender: r() < 0.5 ? 'female' : 'male',
      birthDate: `19${50 + Math.floor(r() * 50)}-0${1 + Math.floor(r() * 9)}-1${Math.floor(r() * 9)}`,
    },
    allergy: {
      resourceType: 'AllergyIntolerance',
      id: uuid(r),
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }],
      },
      criticality: 'high',
      code: { coding: [{ system: 'http://snomed.info/sct', code: aCode, display: aText }], text: `${aText} (${mrn})` },
      patient: subject,
    },
    medication: {
      resourceType: 'MedicationStatement',
      id: uuid(r),
      status: 'active',
      medicationCodeableConcept: {
        coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: mCode, display: mText }],
        text: `${mText} for ${given} ${family}`,
      },
      subject,
      encounter: { reference: `urn:uuid:${encId}` },
    },
    condition: {
      resourceType: 'Condition',
      id: uuid(r),
      code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' }] },
      subject,
    },
    observation: {
      resourceType: 'Observation',
      id: uuid(r),
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' }] },
      valueQuantity: { value: 110 + Math.floor(r() * 50), unit: 'mm[Hg]' },
      subject,
    },
    encounter: {
      resourceType: 'Encounter',
      id: encId,
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' },
      subject,
    },
    secrets: [given, family, mrn, pid, `${aText} (${mrn})`, `${mText} for ${given} ${family}`],
  };
}

export const json = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
