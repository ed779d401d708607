import { eq } from 'drizzle-orm';
import { resolvePrincipal } from '../auth/plugin.js';
import type { TenantPrincipal } from '../auth/principal.js';
import { hashToken } from '../auth/tokens.js';
import { recordBriefing } from '../briefings/service.js';
import type { NewBriefing } from '../briefings/schemas.js';
import type { Database, Transaction } from '../db/client.js';
import type { Relay } from '../deps.js';
import { apiTokens, escalationPolicies, organisations, outbox, staff, staffWards, wards } from '../db/schema.js';
import { nameCover } from '../cover/service.js';
import { addDays, localDateOf } from '../domain/calendar.js';
import { createPriority } from '../priorities/service.js';
import { DEFAULT_ACK_WITHIN_SECONDS, DEFAULT_MAX_REPEATS, DEFAULT_REPEAT_EVERY_SECONDS } from '../domain/escalation.js';
import { DEFAULT_BAND_THRESHOLDS } from '../domain/risk.js';
import type { StaffRole } from '../domain/taxonomy.js';
import { seedCorrections } from './corrections.js';
import { ManagersPlay, type PriorityOf } from './managers.js';
import { seedSeniorReview } from './senior.js';
import { DEMO_ODDS, heldBriefing, prng } from './templates.js';
import { demoWording, gradedAsWorded } from './wordings.js';

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

/** The managers, by staff id, as their demo tokens sign them in. */
async function demoManagers(db: Database) {
  const managers = new Map<string, TenantPrincipal>();
  for (const token of Object.values(DEMO_TOKENS)) {
    const principal = await resolvePrincipal(db, token);
    if (principal?.staffId) managers.set(principal.staffId, principal as TenantPrincipal);
  }
  return managers;
}

/**
 * A small QI register: medical devices for every ward, and safe staffing on the medical wards.
 * Answers the priority a manager who agrees links an issue to (equipment anywhere, staffing on a
 * medical ward).
 */
async function createDemoPriorities(db: Database, wardIds: Map<string, string>): Promise<PriorityOf> {
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
  const medical = new Set(WARDS.filter((w) => w.division === 'Medicine').map((w) => wardIds.get(w.code)));
  return (category, wardId) =>
    category === 'equipment' ? equipment.id : category === 'staffing' && medical.has(wardId) ? staffing.id : undefined;
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
async function createDemoOrganisation(db: Database) {
  return db.transaction(async (tx) => {
    const [org] = await tx
      .insert(organisations)
      .values({ name: 'Demo Teaching Hospitals NHS Trust', code: 'DEMO', bandThresholds: DEFAULT_BAND_THRESHOLDS })
      .returning();
    const wardIds = await createDemoWards(tx, org!.id);
    const staffIds = await createDemoPeople(tx, org!.id, wardIds);
    await createDemoPolicies(tx, org!.id, wardIds, staffIds);
    return { organisationId: org!.id, wardIds };
  });
}

/**
 * A day-shift briefing on every ward each working day, recorded through the ward tablet, with
 * the managers' steps taken in time order between them.
 */
async function recordDemoWeeks(
  deps: { db: Database; relay: Relay },
  random: () => number,
  days: string[],
  managers: ManagersPlay,
) {
  const devices = await Promise.all(
    WARDS.map(async (ward) => (await resolvePrincipal(deps.db, ward.device)) as TenantPrincipal),
  );
  for (const date of days) {
    const at = new Date(`${date}T08:30:00Z`);
    await managers.runUntil(at);
    for (const device of devices) {
      await recordBriefing(deps, device, demoBriefing(random, device.wardIds[0]!, date), at);
    }
    await managers.plan(at);
  }
}

/** One ward's day-shift briefing: held most days, with two to six issues in the ward's words. */
function demoBriefing(random: () => number, wardId: string, date: string): NewBriefing {
  if (random() >= DEMO_ODDS.held) {
    return {
      wardId,
      date,
      shift: 'day',
      held: false,
      notHeldReason: random() < 0.5 ? 'Ward too busy: two emergency admissions' : 'No facilitator available',
      items: [],
    };
  }
  const held = heldBriefing(random, 3 + Math.floor(random() * 4), demoWording(random));
  return { wardId, date, shift: 'day', ...held, items: held.items.map(gradedAsWorded) };
}

export async function seedDemo(db: Database, relay: Relay, options: { today?: Date; weeks?: number } = {}) {
  const existing = await db.select({ id: organisations.id }).from(organisations).where(eq(organisations.code, 'DEMO'));
  if (existing[0]) return { organisationId: existing[0].id, seeded: false };

  const { organisationId, wardIds } = await createDemoOrganisation(db);
  const random = prng(20261130);
  const seedNow = options.today ?? new Date();
  const days = workingDaysBefore(seedNow, (options.weeks ?? 6) * 5);
  const priorityOf = await createDemoPriorities(db, wardIds);
  const managers = new ManagersPlay({ db, relay }, organisationId, random, await demoManagers(db), priorityOf);
  await recordDemoWeeks({ db, relay }, random, days, managers);
  await managers.runUntil(seedNow);
  await seedCover(db, seedNow);
  await seedCorrections(db, relay, DEMO_TOKENS.clinician7A, seedNow);
  const director = (await resolvePrincipal(db, DEMO_TOKENS.directorOfNursing)) as TenantPrincipal;
  await seedSeniorReview({ db, relay }, director, priorityOf, seedNow);
  // Timers for what is still open are rebuilt from the database by the reconciler at start.
  await db.delete(outbox);
  await db
    .update(escalationPolicies)
    .set({ ackWithinSeconds: DEMO_ACK_WITHIN_SECONDS, repeatEverySeconds: 20, maxRepeats: 2 })
    .where(eq(escalationPolicies.organisationId, organisationId));
  return { organisationId, seeded: true };
}
