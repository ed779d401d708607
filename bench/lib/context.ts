/** What every scenario gets: the bench database, the running API, the people and wards to use. */
import pg from 'pg';
import type { ChildHandle } from '../../test/helpers/processes.js';
import type { GeneratedPeriod, Scale } from './generate.js';
import type { Target } from './children.js';

export interface WardRef {
  id: string;
  organisationId: string;
}

export interface People {
  organisationId: string;
  /** The manager with the most unresolved escalations in the first trust (the director). */
  busiestManagerId: string;
  busiestManagerOpen: number;
  /** A matron of the first trust (five wards), a typical inbox. */
  matronId: string;
  matronOpen: number;
  governanceId: string;
  wards: WardRef[];
}

export interface BenchContext {
  scale: Scale;
  period: GeneratedPeriod;
  databaseName: string;
  databaseUrl: string;
  target: Target;
  api: ChildHandle;
  apiPort: number;
  people: People;
  log(line: string): void;
  quick: boolean;
  /** Phase name for the API's RSS samples. */
  phase(name: string): void;
}

export async function findPeople(databaseUrl: string): Promise<People> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const org = (await client.query(`SELECT id FROM organisations WHERE code = 'BENCH01'`)).rows[0]!.id as string;
    const open = await client.query<{ id: string; open: number; email: string }>(
      `SELECT s.id, s.email, count(e.id)::int AS open
       FROM staff s LEFT JOIN escalations e ON e.assignee_staff_id = s.id AND e.state <> 'resolved'
       WHERE s.organisation_id = $1 AND s.role IN ('middle_manager', 'senior_manager')
       GROUP BY s.id ORDER BY open DESC`,
      [org],
    );
    const busiest = open.rows[0]!;
    const matron = open.rows.find((r) => r.email.startsWith('matron-1@'))!;
    const governanceId = (
      await client.query(`SELECT id FROM staff WHERE organisation_id = $1 AND role = 'governance'`, [org])
    ).rows[0]!.id as string;
    const wards = (
      await client.query<{ id: string; organisation_id: string }>(
        `SELECT id, organisation_id FROM wards ORDER BY organisation_id, code`,
      )
    ).rows.map((r) => ({ id: r.id, organisationId: r.organisation_id }));
    return {
      organisationId: org,
      busiestManagerId: busiest.id,
      busiestManagerOpen: busiest.open,
      matronId: matron.id,
      matronOpen: matron.open,
      governanceId,
      wards,
    };
  } finally {
    await client.end();
  }
}

/** A date `days` before an ISO date. */
export function daysBefore(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}
