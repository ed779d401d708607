/**
 * FHIR R4 mapping of the briefing data (domain reference, section 8). Pure: rows in, a Bundle
 * of type `collection` out. docs/reports.md states the choices; in short:
 *
 * - Location: one per ward (physical type "wa", ward), managed by the trust (Organization).
 * - Flag: one per open problem or risk, category "safety", subject the ward's Location.
 * - AdverseEvent: one per problem or risk; actuality `actual` for a problem, `potential` for a
 *   risk. AdverseEvent.subject is required and may only reference Patient, Group, Practitioner
 *   or RelatedPerson, while a ward issue concerns no one patient. The export uses a descriptive
 *   Group per ward (`actual: false`, "patients cared for on ward X", characteristic = the ward's
 *   Location) as the subject, and names the ward in AdverseEvent.location too. No patient is
 *   invented and no reference breaks the resource's type rules.
 * - Task: one per escalation; status requested (open), accepted (acknowledged), in-progress,
 *   completed (resolved: fixed, mitigated, risk accepted) or cancelled (resolved: not
 *   actionable); owner the current manager as a Practitioner; focus the item's AdverseEvent.
 *
 * Every resource gets a name-based UUID (SHA-1 of its type and the source row id), so the same
 * data always exports the same ids, and is referenced by its `urn:uuid:` full URL.
 * Free text (descriptions, outcome notes, names) is screened again with findIdentifiers; a text
 * that fails is left out of the export altogether.
 */
import { createHash } from 'node:crypto';
import { findIdentifiers } from '../domain/identifiers.js';
import type { DateRange, ReportScope, WardRef } from '../reports/scope.js';
import type { ExportEscalationRow, ExportItemRow } from './fhir-queries.js';

export const SYSTEM = 'https://safety-briefings.example/fhir';
export const CODE_SYSTEMS = {
  itemCategory: `${SYSTEM}/CodeSystem/item-category`,
  taskType: `${SYSTEM}/CodeSystem/task-type`,
  escalationState: `${SYSTEM}/CodeSystem/escalation-state`,
  flagCategory: 'http://terminology.hl7.org/CodeSystem/flag-category',
  locationType: 'http://terminology.hl7.org/CodeSystem/location-physical-type',
  aeSeverity: 'http://terminology.hl7.org/CodeSystem/adverse-event-severity',
  aeOutcome: 'http://terminology.hl7.org/CodeSystem/adverse-event-outcome',
} as const;
export const IDENTIFIER_SYSTEMS = {
  organisation: `${SYSTEM}/organisation-id`,
  ward: `${SYSTEM}/ward-id`,
  wardCode: `${SYSTEM}/ward-code`,
  item: `${SYSTEM}/item-id`,
  escalation: `${SYSTEM}/escalation-id`,
  staff: `${SYSTEM}/staff-id`,
} as const;
export const RISK_EXTENSION = `${SYSTEM}/StructureDefinition/nhs-5x5-risk`;

// RFC 4122 URL namespace; the names are "<ResourceType>/<source id>".
const NAMESPACE = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/** Name-based UUID (version 5, SHA-1). */
export function uuidV5(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const resourceId = (type: string, sourceId: string) => uuidV5(`${type}/${sourceId}`);
const ref = (type: string, sourceId: string, display?: string) => ({
  reference: `urn:uuid:${resourceId(type, sourceId)}`,
  ...(display ? { display } : {}),
});

/** The text, or undefined when it is empty or the identifier screen flags it. */
export function exportableText(text: string | null | undefined): string | undefined {
  if (text === null || text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === '' || findIdentifiers(trimmed).length > 0) return undefined;
  return trimmed;
}

const CATEGORY_DISPLAY: Record<string, string> = {
  staffing: 'Staffing',
  equipment: 'Equipment and supplies',
  medication: 'Medication',
  communication: 'Communication and handover',
  patient_flow: 'Patient flow',
  it_information: 'IT and information',
  estates_environment: 'Estates and environment',
  infection_prevention: 'Infection prevention and control',
  diagnostics: 'Diagnostics',
  clinical_process: 'Clinical process',
  governance_admin: 'Governance and administration',
  other: 'Other',
};

const categoryCoding = (category: string) => ({
  system: CODE_SYSTEMS.itemCategory,
  code: category,
  display: CATEGORY_DISPLAY[category] ?? category,
});

const iso = (ms: number | null) => (ms === null ? undefined : new Date(Number(ms)).toISOString());

/** 5x5 consequence to the AdverseEvent severity value set (mild, moderate, severe). */
export function severityCode(consequence: number | null): 'mild' | 'moderate' | 'severe' | undefined {
  if (consequence === null) return undefined;
  return consequence <= 2 ? 'mild' : consequence === 3 ? 'moderate' : 'severe';
}

export type TaskStatus = 'requested' | 'accepted' | 'in-progress' | 'completed' | 'cancelled';

export function taskStatus(state: ExportEscalationRow['state'], outcome: ExportEscalationRow['outcome']): TaskStatus {
  switch (state) {
    case 'open':
      return 'requested';
    case 'acknowledged':
      return 'accepted';
    case 'in_progress':
      return 'in-progress';
    case 'resolved':
      // Closed without the work being done: judged not actionable, the item downgraded below the
      // ward's minimum or voided, or a duplicate merged into its thread's escalation.
      return outcome === 'fixed' || outcome === 'mitigated' || outcome === 'risk_accepted' ? 'completed' : 'cancelled';
  }
}

/** Why a cancelled Task was closed, in words. */
const CANCELLED_BECAUSE: Record<string, string> = {
  not_actionable: 'Not actionable',
  downgraded: 'Downgraded below the escalation threshold',
  voided: 'Item voided as entered in error',
  merged: "Merged into its thread's escalation",
};

const TASK_PRIORITY: Record<string, 'routine' | 'urgent' | 'asap' | 'stat'> = {
  extreme: 'asap',
  high: 'urgent',
  moderate: 'routine',
  low: 'routine',
};

export interface FhirExportInput {
  organisation: ReportScope['organisation'];
  wards: WardRef[];
  items: ExportItemRow[];
  escalations: ExportEscalationRow[];
  period: DateRange;
  generatedAt: Date;
}

type Resource = Record<string, unknown> & { resourceType: string; id: string };

export function fhirBundle(input: FhirExportInput) {
  const wardNames = new Map(input.wards.map((w) => [w.id, exportableText(w.name)]));
  // The managers who own the tasks, each once, in the order their first task names them.
  const owners = new Map(input.escalations.map((e) => [e.owner_id, exportableText(e.owner_name)]));
  const resources: Resource[] = [
    organizationResource(input.organisation),
    ...input.wards.flatMap((ward) => wardResources(ward, input.organisation.id)),
    ...input.items.flatMap((item) => itemResources(item, wardNames.get(item.ward_id))),
    ...input.escalations.map((e) => taskResource(e, wardNames.get(e.ward_id))),
    ...[...owners].map(([staffId, name]) => practitionerResource(staffId, name)),
  ];
  return {
    resourceType: 'Bundle' as const,
    id: resourceId(
      'Bundle',
      `${input.organisation.id}/${input.period.from}/${input.period.to}/${input.generatedAt.toISOString()}`,
    ),
    meta: { lastUpdated: input.generatedAt.toISOString() },
    identifier: {
      system: `${SYSTEM}/export`,
      value: `${input.organisation.id}/${input.period.from}/${input.period.to}`,
    },
    type: 'collection' as const,
    timestamp: input.generatedAt.toISOString(),
    entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${resource.id}`, resource })),
  };
}

function organizationResource(organisation: FhirExportInput['organisation']): Resource {
  const name = exportableText(organisation.name);
  return {
    resourceType: 'Organization',
    id: resourceId('Organization', organisation.id),
    identifier: [{ system: IDENTIFIER_SYSTEMS.organisation, value: organisation.id }],
    active: true,
    ...(name ? { name } : {}),
  };
}

/** The ward as a Location, and the descriptive Group of its patients that AdverseEvent.subject needs. */
function wardResources(ward: WardRef, organisationId: string): Resource[] {
  const name = exportableText(ward.name);
  const code = exportableText(ward.code);
  return [
    {
      resourceType: 'Location',
      id: resourceId('Location', ward.id),
      identifier: [
        { system: IDENTIFIER_SYSTEMS.ward, value: ward.id },
        ...(code ? [{ system: IDENTIFIER_SYSTEMS.wardCode, value: code }] : []),
      ],
      status: ward.closedOn === null ? 'active' : 'inactive',
      ...(name ? { name } : {}),
      mode: 'instance',
      physicalType: { coding: [{ system: CODE_SYSTEMS.locationType, code: 'wa', display: 'Ward' }] },
      managingOrganization: ref('Organization', organisationId),
    },
    {
      resourceType: 'Group',
      id: resourceId('Group', ward.id),
      type: 'person',
      actual: false,
      name: `Patients cared for on ward ${code ?? ward.id}`,
      characteristic: [
        {
          code: { text: 'Cared for on ward' },
          valueReference: ref('Location', ward.id, name),
          exclude: false,
        },
      ],
    },
  ];
}

/** A Flag while the item is open, and its AdverseEvent. */
function itemResources(item: ExportItemRow, wardName: string | undefined): Resource[] {
  const description = exportableText(item.description);
  const flag: Resource[] =
    item.status === 'open'
      ? [
          {
            resourceType: 'Flag',
            id: resourceId('Flag', item.id),
            identifier: [{ system: IDENTIFIER_SYSTEMS.item, value: item.id }],
            status: 'active',
            category: [{ coding: [{ system: CODE_SYSTEMS.flagCategory, code: 'safety', display: 'Safety' }] }],
            code: { coding: [categoryCoding(item.category)], ...(description ? { text: description } : {}) },
            subject: ref('Location', item.ward_id, wardName),
            period: { start: item.raised_on },
          },
        ]
      : [];
  return [...flag, adverseEventResource(item, description, wardName)];
}

/** The 5x5 grading of an item as extension values; those not graded are left out. */
function riskExtensions(item: ExportItemRow) {
  return [
    item.consequence === null ? null : { url: 'consequence', valueInteger: Number(item.consequence) },
    item.likelihood === null ? null : { url: 'likelihood', valueInteger: Number(item.likelihood) },
    item.risk_score === null ? null : { url: 'score', valueInteger: Number(item.risk_score) },
    item.risk_band === null ? null : { url: 'band', valueCode: item.risk_band },
  ].filter((e) => e !== null);
}

function adverseEventResource(
  item: ExportItemRow,
  description: string | undefined,
  wardName: string | undefined,
): Resource {
  const severity = severityCode(item.consequence);
  const risk = riskExtensions(item);
  return {
    resourceType: 'AdverseEvent',
    id: resourceId('AdverseEvent', item.id),
    ...(risk.length > 0 ? { extension: [{ url: RISK_EXTENSION, extension: risk }] } : {}),
    identifier: { system: IDENTIFIER_SYSTEMS.item, value: item.id },
    actuality: item.kind === 'risk' ? 'potential' : 'actual',
    category: [{ coding: [categoryCoding(item.category)] }],
    event: { coding: [categoryCoding(item.category)], ...(description ? { text: description } : {}) },
    subject: ref('Group', item.ward_id),
    date: item.raised_on,
    recordedDate: iso(item.created_at_ms),
    location: ref('Location', item.ward_id, wardName),
    ...(severity ? { severity: { coding: [{ system: CODE_SYSTEMS.aeSeverity, code: severity }] } } : {}),
    outcome: {
      coding: [
        item.status === 'open'
          ? { system: CODE_SYSTEMS.aeOutcome, code: 'ongoing', display: 'Ongoing' }
          : { system: CODE_SYSTEMS.aeOutcome, code: 'resolved', display: 'Resolved' },
      ],
    },
  };
}

function taskResource(e: ExportEscalationRow, wardName: string | undefined): Resource {
  const status = taskStatus(e.state, e.outcome);
  const note = exportableText(e.outcome_note);
  const modified = Math.max(
    ...[e.created_at_ms, e.acknowledged_at_ms, e.resolved_at_ms].filter((v): v is number => v !== null).map(Number),
  );
  return {
    resourceType: 'Task',
    id: resourceId('Task', e.id),
    identifier: [{ system: IDENTIFIER_SYSTEMS.escalation, value: e.id }],
    status,
    ...(status === 'cancelled' ? { statusReason: { text: CANCELLED_BECAUSE[e.outcome ?? ''] ?? 'Closed' } } : {}),
    businessStatus: {
      coding: [{ system: CODE_SYSTEMS.escalationState, code: e.state }],
      text: e.outcome ? `${e.state}: ${e.outcome.replaceAll('_', ' ')}` : e.state.replaceAll('_', ' '),
    },
    intent: 'order',
    priority: TASK_PRIORITY[e.band] ?? 'routine',
    code: { coding: [{ system: CODE_SYSTEMS.taskType, code: 'escalation', display: 'Escalation to a named manager' }] },
    description: `Escalated ${e.band} risk issue, level ${e.level} of the chain`,
    focus: ref('AdverseEvent', e.item_id),
    for: ref('Location', e.ward_id, wardName),
    authoredOn: iso(e.created_at_ms),
    lastModified: iso(modified),
    owner: ref('Practitioner', e.owner_id, exportableText(e.owner_name)),
    ...(e.state === 'resolved' ? {} : { restriction: { period: { end: iso(e.due_at_ms) } } }),
    ...(e.acknowledged_at_ms !== null || e.resolved_at_ms !== null
      ? {
          executionPeriod: {
            ...(e.acknowledged_at_ms !== null ? { start: iso(e.acknowledged_at_ms) } : {}),
            ...(e.resolved_at_ms !== null ? { end: iso(e.resolved_at_ms) } : {}),
          },
        }
      : {}),
    ...(note ? { note: [{ text: note }] } : {}),
  };
}

function practitionerResource(staffId: string, name: string | undefined): Resource {
  return {
    resourceType: 'Practitioner',
    id: resourceId('Practitioner', staffId),
    identifier: [{ system: IDENTIFIER_SYSTEMS.staff, value: staffId }],
    active: true,
    ...(name ? { name: [{ text: name }] } : {}),
  };
}
