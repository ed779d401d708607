import { and, asc, eq, gte } from 'drizzle-orm';
import type { TenantPrincipal } from '../auth/principal.js';
import type { Database } from '../db/client.js';
import { escalations, items, wards } from '../db/schema.js';
import type { Relay } from '../deps.js';
import type { EscalationAction, Stance } from '../domain/escalation.js';
import type { Barrier, ItemCategory } from '../domain/taxonomy.js';
import { actOnEscalation } from '../escalations/actions.js';
import type { ActionBodies } from '../escalations/schemas.js';
import { runEscalationStep, type EscalationRow } from '../escalations/timer.js';
import { linkPriority } from '../priorities/service.js';

/**
 * The managers' part in the demo's weeks, played in time order between the wards' briefings, so
 * a repeat meets its escalation as it then stood: most managers acknowledge in time and answer
 * (naming what stands in the way when they cannot agree), some plan actions, link the issue to
 * a QI priority and resolve it days later; the rest let the deadline pass and the chain climbs.
 * Every step goes through the service's own functions, at its time in the past; a step whose
 * time is still to come when the demo starts is not taken.
 */

const HOUR = 3_600_000;
/** Share of escalations nobody acknowledges: they climb the chain and wait, overdue. */
const IGNORED = 0.1;

/** What stands in the way of the change, as a manager of each area would name it. */
const BARRIERS_BY_CATEGORY: Partial<Record<ItemCategory, Barrier[]>> = {
  staffing: ['workforce', 'funding'],
  equipment: ['equipment_supply', 'funding'],
  medication: ['other_department'],
  patient_flow: ['other_department', 'competing_priorities'],
  it_information: ['it_systems', 'competing_priorities'],
  estates_environment: ['estates', 'funding'],
  infection_prevention: ['estates', 'equipment_supply'],
  diagnostics: ['other_department', 'time'],
};

const RATIONALE: Record<Stance, string> = {
  agree: 'Agreed: this needs fixing beyond the ward',
  disagree: 'Within current tolerance; the ward can manage this locally',
  needs_information: 'Please send numbers for the last fortnight',
};

const BARRIER_NOTE: Partial<Record<Stance, string>> = {
  disagree: 'No budget this quarter, and the EHR roll-out has first call on the team',
  needs_information: 'Waiting for the division to confirm what it can fund',
};

interface Move {
  at: Date;
  escalationId: string;
  run(row: EscalationRow): Promise<void>;
}

/** The QI priority a manager who agrees links an issue of that category and ward to, if any. */
export type PriorityOf = (category: ItemCategory, wardId: string) => string | undefined;

/** The managers' diary: their planned steps in time order, taken as the demo's days go by. */
export class ManagersPlay {
  private readonly moves: Move[] = [];
  private readonly planned = new Set<string>();

  constructor(
    private readonly deps: { db: Database; relay: Relay },
    private readonly organisationId: string,
    private readonly random: () => number,
    private readonly managers: Map<string, TenantPrincipal>,
    private readonly priorityOf: PriorityOf,
  ) {}

  /** Plans the managers' answers to the escalations started since `startedSince`. */
  async plan(startedSince: Date) {
    // In the order the wards recorded them (ids are random, so they order nothing).
    const started = await this.deps.db
      .select({ escalation: escalations, category: items.category, wardId: items.wardId })
      .from(escalations)
      .innerJoin(items, eq(items.id, escalations.itemId))
      .innerJoin(wards, eq(wards.id, items.wardId))
      .where(and(eq(escalations.organisationId, this.organisationId), gte(escalations.createdAt, startedSince)))
      .orderBy(asc(escalations.createdAt), asc(wards.code), asc(items.position));
    for (const { escalation, category, wardId } of started) {
      if (this.planned.has(escalation.id)) continue;
      this.planned.add(escalation.id);
      if (this.random() < IGNORED) this.climb(escalation);
      else this.answer(escalation, category, wardId);
    }
  }

  /** Takes every planned step due before `time`, in time order; one for a resolved escalation lapses. */
  async runUntil(time: Date) {
    while (this.moves[0] && this.moves[0].at < time) {
      const move = this.moves.shift()!;
      const row = await this.read(move.escalationId);
      if (row && row.state !== 'resolved') await move.run(row);
    }
  }

  private add(at: Date, escalationId: string, run: Move['run']) {
    const index = this.moves.findIndex((m) => m.at > at);
    this.moves.splice(index === -1 ? this.moves.length : index, 0, { at, escalationId, run });
  }

  private async read(id: string) {
    const [row] = await this.deps.db.select().from(escalations).where(eq(escalations.id, id));
    return row;
  }

  /** An action of the escalation's manager at the time, as their token signs them in. */
  private act<A extends EscalationAction>(row: EscalationRow, action: A, body: ActionBodies[A], at: Date) {
    return actOnEscalation(this.deps, this.managers.get(row.assigneeStaffId)!, row.id, action, body, at);
  }

  /** Nobody answers: the timer's steps run at their due times, as a worker would run them. */
  private climb(row: EscalationRow) {
    const dueAt = row.nextStepAt;
    if (!dueAt) return;
    this.add(dueAt, row.id, async (current) => {
      if (!current.nextStepAt || current.nextStepAt > dueAt) return;
      await runEscalationStep(
        { db: this.deps.db },
        { escalationId: current.id, step: current.step },
        current.nextStepAt,
      );
      const after = await this.read(current.id);
      if (after && after.state !== 'resolved') this.climb(after);
    });
  }

  /**
   * Acknowledged within the deadline; a position two hours later (asking for information first
   * leads to an answer the next day); a manager who agrees links the issue to its priority and
   * may plan an action; resolved one to twelve days on, more often when the manager agrees.
   */
  private answer(escalation: EscalationRow, category: ItemCategory, wardId: string) {
    const { random } = this;
    const window = escalation.dueAt.getTime() - escalation.createdAt.getTime();
    const ackAt = new Date(escalation.createdAt.getTime() + window * random() * 0.9);
    this.add(ackAt, escalation.id, (row) => this.act(row, 'acknowledge', undefined, ackAt));
    const first = stanceOf(random());
    let at = new Date(ackAt.getTime() + 2 * HOUR);
    this.position(at, escalation.id, first, category);
    let final = first;
    if (first === 'needs_information') {
      final = random() < 0.55 ? 'agree' : 'disagree';
      at = new Date(at.getTime() + 26 * HOUR);
      this.position(at, escalation.id, final, category);
    }
    const priorityId = this.priorityOf(category, wardId);
    if (final === 'agree' && priorityId) {
      this.add(at, escalation.id, async (row) => {
        await linkPriority(this.deps.db, this.managers.get(row.assigneeStaffId)!, row.itemId, priorityId);
      });
    }
    if (final === 'agree' && random() < 0.6) {
      const plannedAt = new Date(at.getTime() + 4 * HOUR);
      const dueDate = new Date(plannedAt.getTime() + 14 * 24 * HOUR).toISOString().slice(0, 10);
      const description = 'Raised with the service lead; funding request submitted';
      this.add(plannedAt, escalation.id, (row) => this.act(row, 'actions', { description, dueDate }, plannedAt));
    }
    if (random() < (final === 'agree' ? 0.7 : 0.25)) {
      const resolveAt = new Date(at.getTime() + 24 * HOUR * (1 + Math.floor(random() * 12)));
      const outcome = outcomeOf(final, random());
      const note = 'Outcome fed back to the ward at the briefing';
      this.add(resolveAt, escalation.id, (row) => this.act(row, 'resolve', { outcome, note }, resolveAt));
    }
  }

  /** A manager who does not agree names what stands in the way, from the list and in words. */
  private position(at: Date, escalationId: string, stance: Stance, category: ItemCategory) {
    const barriers = stance === 'agree' ? [] : (BARRIERS_BY_CATEGORY[category] ?? ['competing_priorities']);
    const barrierNote = BARRIER_NOTE[stance];
    const body: ActionBodies['position'] = {
      stance,
      rationale: RATIONALE[stance],
      ...(barriers.length > 0 ? { barriers } : {}),
      ...(barrierNote ? { barrierNote } : {}),
    };
    this.add(at, escalationId, (row) => this.act(row, 'position', body, at));
  }
}

function stanceOf(roll: number): Stance {
  return roll < 0.6 ? 'agree' : roll < 0.88 ? 'disagree' : 'needs_information';
}

function outcomeOf(stance: Stance, roll: number) {
  if (stance === 'agree') return roll < 0.7 ? 'fixed' : 'mitigated';
  return roll < 0.5 ? 'risk_accepted' : 'not_actionable';
}
