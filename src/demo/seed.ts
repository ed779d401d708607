import { and, eq, inArray } from 'drizzle-orm';
import { resolvePrincipal } from '../auth/plugin.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { hashToken } from '../auth/tokens.js';
import { recordBriefing } from '../briefings/service.js';
import type { NewBriefing } from '../briefings/schemas.js';
import type { Database, Transaction } from '../db/client.js';
import type { Relay } from '../deps.js';
import {
  apiTokens,
  escalationPolicies,
  escalations,
  items,
  organisations,
  outbox,
  staff,
  staffWards,
  wards,
} from '../db/schema.js';
import { nameCover } from '../cover/service.js';
import { addDays, localDateOf } from '../domain/calendar.js';
import { createPriority, linkPriority } from '../priorities/service.js';
import {
  DEFAULT_ACK_WITHIN_SECONDS,
  DEFAULT_MAX_REPEATS,
  DEFAULT_REPEAT_EVERY_SECONDS,
  type EscalationAction,
} from '../domain/escalation.js';
import { actOnEscalation } from '../escalations/actions.js';
import type { ActionBodies } from '../escalations/schemas.js';
import { runEscalationStep } from '../escalations/timer.js';
import { DEFAULT_BAND_THRESHOLDS } from '../domain/risk.js';
import type { StaffRole } from '../domain/taxonomy.js';
import { seedCorrections } from './corrections.js';
import { DEMO_ODDS, heldBriefing, prng } from './templates.js';

/**
 * Demo organisation with FIXED tokens so the README's examples work as written.
 * These tokens are for a local demo database only.
 */
export const DEMO_TOKENS = {
  admin: 'demo-org-admin',
  ward7A: 'demo-ward-7a-tablet',
  ward7B: 'demo-ward-7b-tablet',
  ward4A: 'demo-ward-4a-tablet',
  ward4B: 'demo-ward-4b-tablet',
  clinician7A: 'demo-clinician-7a',
  matronMedicine: 'demo-matron-medicine',
  matronSurgery: 'demo-matron-surgery',
  itServiceManager: 'demo-it-service-manager',
  directorOfNursing: 'demo-director-of-nursing',
  governance: 'demo-governance',
} as const;

const WARDS = [
  { code: '7A', name: 'Acute Medical Unit', division: 'Medicine', device: DEMO_TOKENS.ward7A },
  { code: '7B', name: 'Respiratory', division: 'Medicine', device: DEMO_TOKENS.ward7B },
  { code: '4A', name: 'General Surgery', division: 'Surgery', device: DEMO_TOKENS.ward4A },
  { code: '4B', name: 'Orthopaedics', division: 'Surgery', device: DEMO_TOKENS.ward4B },
] as const;

const PEOPLE: { name: string; email: string; role: StaffRole; wards: string[]; token: string }[] = [
  { name: 'Alex Admin', email: 'alex.admin@demo.nhs.uk', role: 'org_admin', wards: [], token: DEMO_TOKENS.admin },
  {
    name: 'Priya Shah (staff nurse)',
    email: 'priya.shah@demo.nhs.uk',
    role: 'clinician',
    wards: ['7A'],
    token: DEMO_TOKENS.clinician7A,
  },
  {
    name: 'Sam Okafor (matron, medicine)',
    email: 'sam.okafor@demo.nhs.uk',
    role: 'middle_manager',
    wards: ['7A', '7B'],
    token: DEMO_TOKENS.matronMedicine,
  },
  {
    name: 'Jo Evans (matron, surgery)',
    email: 'jo.evans@demo.nhs.uk',
    role: 'middle_manager',
    wards: ['4A', '4B'],
    token: DEMO_TOKENS.matronSurgery,
  },
  {
    name: 'Tom Reid (IT service manager)',
    email: 'tom.reid@demo.nhs.uk',
    role: 'middle_manager',
    wards: [],
    token: DEMO_TOKENS.itServiceManager,
  },
  {
    name: 'Dr Maria Lopez (director of nursing)',
    email: 'maria.lopez@demo.nhs.uk',
    role: 'senior_manager',
    wards: [],
    token: DEMO_TOKENS.directorOfNursing,
  },
  {
    name: 'Chris Green (governance)',
    email: 'chris.green@demo.nhs.uk',
    role: 'governance',
    wards: [],
    token: DEMO_TOKENS.governance,
  },
];

/** Short deadlines for new demo escalations, so a climb can be watched within a minute. */
const DEMO_ACK_WITHIN_SECONDS = { extreme: 20, high: 30, moderate: 45, low: 60 };

/**
 * Plays the managers' part for the seeded weeks: most acknowledge in time and answer; some
 * plan actions and resolve; the rest let the deadline pass, so the chain climbs.
 */
async function simulateManagers(db: Database, relay: Relay, random: () => number, seedNow: Date) {
  const tokensByStaff = new Map<string, TenantPrincipal>();
  for (const token of Object.values(DEMO_TOKENS)) {
    const principal = await resolvePrincipal(db, token);
    if (principal?.staffId) tokensByStaff.set(principal.staffId, principal as TenantPrincipal);
  }
  const all = await db.select().from(escalations).orderBy(escalations.createdAt);
  for (const escalation of all) {
    const current = escalation;
    const act = <A extends EscalationAction>(action: A, body: ActionBodies[A], at: Date) =>
      actOnEscalation({ db, relay }, tokensByStaff.get(current.assigneeStaffId)!, current.id, action, body, at);
    const ackWindow = current.dueAt.getTime() - current.createdAt.getTime();
    if (random() < 0.25) {
      // Nobody acknowledged in time: let the timers run up to now.
      for (let guard = 0; guard < 10; guard++) {
        const [row] = await db.select().from(escalations).where(eq(escalations.id, current.id));
        if (!row || row.state !== 'open' || !row.nextStepAt || row.nextStepAt > seedNow) break;
        await runEscalationStep({ db }, { escalationId: row.id, step: row.step }, row.nextStepAt);
      }
      // Left open and overdue at the top of the chain: it shows in the director's inbox.
      continue;
    } else {
      await act('acknowledge', undefined, new Date(current.createdAt.getTime() + ackWindow * random() * 0.9));
    }
    const [acknowledged] = await db.select().from(escalations).where(eq(escalations.id, current.id));
    const base = (acknowledged!.acknowledgedAt ?? seedNow).getTime();
    const later = (hours: number) => new Date(Math.min(seedNow.getTime() - 1_000, base + hours * 3_600_000));
    const roll = random();
    const stance = roll < 0.65 ? 'agree' : roll < 0.9 ? 'disagree' : 'needs_information';
    await act(
      'position',
      {
        stance,
        rationale:
          stance === 'agree'
            ? 'Agreed: this needs fixing beyond the ward'
            : stance === 'disagree'
              ? 'Within current tolerance; the ward can manage this locally'
              : 'Please send numbers for the last fortnight',
      },
      later(2),
    );
    const resolveChance = stance === 'agree' ? 0.7 : stance === 'disagree' ? 0.25 : 0.15;
    if (stance === 'agree' && random() < 0.6) {
      await act(
        'actions',
        {
          description: 'Raised with the service lead; funding request submitted',
          dueDate: later(24 * 14)
            .toISOString()
            .slice(0, 10),
        },
        later(6),
      );
    }
    if (random() < resolveChance) {
      const outcome =
        stance === 'agree'
          ? random() < 0.7
            ? 'fixed'
            : 'mitigated'
          : random() < 0.5
            ? 'risk_accepted'
            : 'not_actionable';
      await act(
        'resolve',
        { outcome, note: 'Outcome fed back to the ward at the briefing' },
        later(24 * (1 + Math.floor(random() * 12))),
      );
    }
  }
}

/** A small QI register, with the open equipment and staffing issues linked to it. */
async function seedPriorities(db: Database, organisationId: string) {
  const director = (await resolvePrincipal(db, DEMO_TOKENS.directorOfNursing)) as TenantPrincipal;
  const equipment = await createPriority(db, director, {
    title: 'Medical devices available and safe on every ward',
    level: 'organisation',
    ownerStaffId: director.staffId!,
  });
  const staffing = await createPriority(db, director, {
    title: 'Safe staffing on medical wards this winter',
    level: 'division',
    division: 'Medicine',
    ownerStaffId: director.staffId!,
  });
  const candidates = await db
    .select({ id: items.id, category: items.category })
    .from(items)
    .where(
      and(
        eq(items.organisationId, organisationId),
        eq(items.status, 'open'),
        inArray(items.category, ['equipment', 'staffing']),
      ),
    )
    .limit(12);
  for (const item of candidates) {
    await linkPriority(db, director, item.id, item.category === 'equipment' ? equipment.id : staffing.id);
  }
}

/**
 * The surgical matron covers the medical matron for two weeks from the demo's day: her inbox
 * shows his escalations marked as cover, and she may act on them on his behalf.
 */
async function seedCover(db: Database, seedNow: Date) {
  const sam = (await resolvePrincipal(db, DEMO_TOKENS.matronMedicine)) as TenantPrincipal;
  const jo = (await resolvePrincipal(db, DEMO_TOKENS.matronSurgery)) as TenantPrincipal;
  const from = localDateOf(seedNow);
  await nameCover(db, sam, sam.staffId!, { deputyStaffId: jo.staffId!, from, to: addDays(from, 13) }, seedNow);
}

function workingDaysBefore(today: Date, count: number): string[] {
  const days: string[] = [];
  const cursor = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  while (days.length < count) {
    cursor.setUTCDate(cursor.getUTCDate() - 1);
    const weekday = cursor.getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(cursor.toISOString().slice(0, 10));
  }
  return days.reverse();
}

/** The demo wards, each with its ward tablet's token; returns ward ids by code. */
async function createDemoWards(tx: Transaction, organisationId: string): Promise<Map<string, string>> {
  const wardIds = new Map<string, string>();
  for (const ward of WARDS) {
    const [row] = await tx
      .insert(wards)
      .values({
        organisationId,
        code: ward.code,
        name: ward.name,
        division: ward.division,
        site: 'Main site',
      })
      .returning();
    wardIds.set(ward.code, row!.id);
    await tx.insert(apiTokens).values({
      kind: 'ward_device',
      organisationId,
      wardId: row!.id,
      label: `Ward ${ward.code} tablet`,
      tokenHash: hashToken(ward.device),
    });
  }
  return wardIds;
}

/** The demo people, their wards and their tokens; returns staff ids by email. */
async function createDemoPeople(
  tx: Transaction,
  organisationId: string,
  wardIds: Map<string, string>,
): Promise<Map<string, string>> {
  for (const person of PEOPLE) {
    const [row] = await tx
      .insert(staff)
      .values({ organisationId, name: person.name, email: person.email, role: person.role })
      .returning();
    if (person.wards.length) {
      await tx
        .insert(staffWards)
        .values(person.wards.map((code) => ({ staffId: row!.id, wardId: wardIds.get(code)! })));
    }
    await tx.insert(apiTokens).values({
      kind: 'staff',
      organisationId,
      staffId: row!.id,
      label: 'demo',
      tokenHash: hashToken(person.token),
    });
  }
  const staffIds = new Map<string, string>();
  for (const row of await tx.select().from(staff).where(eq(staff.organisationId, organisationId))) {
    staffIds.set(row.email, row.id);
  }
  return staffIds;
}

/** Each ward escalates to its division's matron, then the director; IT issues go to the IT service manager. */
async function createDemoPolicies(
  tx: Transaction,
  organisationId: string,
  wardIds: Map<string, string>,
  staffIds: Map<string, string>,
) {
  for (const ward of WARDS) {
    const matron = staffIds.get(ward.division === 'Medicine' ? 'sam.okafor@demo.nhs.uk' : 'jo.evans@demo.nhs.uk')!;
    await tx.insert(escalationPolicies).values({
      wardId: wardIds.get(ward.code)!,
      organisationId,
      levels: [matron, staffIds.get('maria.lopez@demo.nhs.uk')!],
      ackWithinSeconds: DEFAULT_ACK_WITHIN_SECONDS,
      repeatEverySeconds: DEFAULT_REPEAT_EVERY_SECONDS,
      maxRepeats: DEFAULT_MAX_REPEATS,
      minBandToEscalate: 'moderate',
      categoryRoutes: { it_information: staffIds.get('tom.reid@demo.nhs.uk')! },
    });
  }
}

/** The organisation, its wards, people, tokens and escalation policies, in one transaction. */
async function createDemoOrganisation(db: Database): Promise<string> {
  return db.transaction(async (tx) => {
    const [org] = await tx
      .insert(organisations)
      .values({ name: 'Demo Teaching Hospitals NHS Trust', code: 'DEMO', bandThresholds: DEFAULT_BAND_THRESHOLDS })
      .returning();
    const wardIds = await createDemoWards(tx, org!.id);
    const staffIds = await createDemoPeople(tx, org!.id, wardIds);
    await createDemoPolicies(tx, org!.id, wardIds, staffIds);
    return org!.id;
  });
}

/** A day-shift briefing on every ward each working day, recorded through the ward tablet. */
async function recordDemoBriefings(db: Database, relay: Relay, random: () => number, days: string[]) {
  for (const ward of WARDS) {
    const device = (await resolvePrincipal(db, ward.device)) as TenantPrincipal;
    for (const date of days) {
      const held = random() < DEMO_ODDS.held;
      const at = new Date(`${date}T08:30:00Z`);
      const briefing: NewBriefing = held
        ? { wardId: device.wardIds[0]!, date, shift: 'day', ...heldBriefing(random, 1 + Math.floor(random() * 4)) }
        : {
            wardId: device.wardIds[0]!,
            date,
            shift: 'day',
            held: false,
            notHeldReason: random() < 0.5 ? 'Ward too busy: two emergency admissions' : 'No facilitator available',
            items: [],
          };
      await recordBriefing({ db, relay }, device, briefing, at);
    }
  }
}

export async function seedDemo(db: Database, relay: Relay, options: { today?: Date; weeks?: number } = {}) {
  const existing = await db.select({ id: organisations.id }).from(organisations).where(eq(organisations.code, 'DEMO'));
  if (existing[0]) return { organisationId: existing[0].id, seeded: false };

  const organisationId = await createDemoOrganisation(db);
  const random = prng(20261130);
  const seedNow = options.today ?? new Date();
  const days = workingDaysBefore(seedNow, (options.weeks ?? 6) * 5);
  await recordDemoBriefings(db, relay, random, days);
  await simulateManagers(db, relay, random, seedNow);
  await seedPriorities(db, organisationId);
  await seedCover(db, seedNow);
  await seedCorrections(db, relay, DEMO_TOKENS.clinician7A, seedNow);
  // Timers for what is still open are rebuilt from the database by the reconciler at start.
  await db.delete(outbox);
  await db
    .update(escalationPolicies)
    .set({ ackWithinSeconds: DEMO_ACK_WITHIN_SECONDS, repeatEverySeconds: 20, maxRepeats: 2 })
    .where(eq(escalationPolicies.organisationId, organisationId));
  return { organisationId, seeded: true };
}
