import { REPORT_TIME_ZONE } from '../domain/calendar.js';
import { DIGEST_SECTIONS, digestSection, type DigestSection } from '../domain/digest.js';
import type { DigestRow } from './queries.js';

/** One escalation of a digest: as read, its planned actions, and whom it is covered for. */
export interface DigestEntry {
  row: DigestRow;
  actions: { description: string; dueDate: string }[];
  /** The manager it is assigned to, when the recipient covers them today. */
  coverFor: string | null;
}

export interface DigestMessage {
  subject: string;
  text: string;
  counts: Record<DigestSection, number>;
}

const when = (instant: Date) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: REPORT_TIME_ZONE,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(instant);

const longDay = (day: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(new Date(`${day}T00:00:00Z`));

function entryLines({ row, actions, coverFor }: DigestEntry, today: string): string[] {
  const deadline =
    row.state === 'open'
      ? `to acknowledge by ${when(row.dueAt)}`
      : `${row.state.replace('_', ' ')} (acknowledge deadline was ${when(row.dueAt)})`;
  const lines = [
    `- Ward ${row.ward.code} ${row.ward.name}, ${row.band} risk${row.item.riskScore ? ` ${row.item.riskScore}` : ''}, level ${row.level + 1}: ${row.item.description}`,
    `  Raised ${row.item.raisedOn}; ${deadline}${coverFor ? `; covering for ${coverFor}` : ''}.`,
  ];
  for (const action of actions) {
    const late = action.dueDate < today ? 'OVERDUE, was due' : 'due';
    lines.push(`  Action ${late} ${action.dueDate}: ${action.description}`);
  }
  lines.push(`  Escalation ${row.id}`);
  return lines;
}

/** The digest e-mail of one manager for `today` (the trust's day); `dueDay` gives a deadline's day. */
export function composeDigest(
  name: string,
  entries: DigestEntry[],
  now: Date,
  today: string,
  dueDay: (instant: Date) => string,
): DigestMessage {
  const bySection = new Map<DigestSection, DigestEntry[]>(DIGEST_SECTIONS.map(({ section }) => [section, []]));
  for (const entry of entries) {
    const section = digestSection(
      {
        state: entry.row.state,
        dueAt: entry.row.dueAt,
        dueDay: dueDay(entry.row.dueAt),
        actionDueDates: entry.actions.map((a) => a.dueDate),
      },
      now,
      today,
    );
    bySection.get(section)!.push(entry);
  }
  const counts = Object.fromEntries(DIGEST_SECTIONS.map(({ section }) => [section, bySection.get(section)!.length]));
  const text = [
    `Dear ${name},`,
    '',
    `Your escalations in the ward safety briefing service on ${longDay(today)} (times are UK time).`,
    '',
    ...DIGEST_SECTIONS.flatMap(({ section, title }) => {
      const list = bySection.get(section)!;
      return [
        `${title} (${list.length})`,
        ...(list.length ? list.flatMap((e) => entryLines(e, today)) : ['- None']),
        '',
      ];
    }),
    'Acknowledge, answer and resolve them in the service (GET /v1/inbox). This digest is sent once a day;',
    'escalations are still notified as they happen through your trust’s own notification route.',
  ].join('\n');
  return {
    subject: `Escalations for ${today}: ${counts.overdue} overdue, ${counts.due} due today, ${counts.open} open`,
    text,
    counts: counts as Record<DigestSection, number>,
  };
}
