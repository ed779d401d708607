/**
 * The README's curl examples, run as written with the real `curl` against a demo service (the
 * data of src/demo/seed.ts, on a test database), so they cannot rot. The host is the test's
 * port; each <placeholder> is replaced by the id a person would copy from an earlier answer.
 * "After the deadline" is reached by running the escalation timer's step at its due time, as a
 * worker would, instead of waiting for it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalations, wards } from '../../src/db/schema.js';
import { DEMO_TOKENS, seedDemo } from '../../src/demo/seed.js';
import { runEscalationStep } from '../../src/escalations/timer.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

const run = promisify(execFile);
const README_BASE_URL = 'http://127.0.0.1:3000';
const STATUS_MARK = '\n--status:';

interface Example {
  command: string;
  /** The comment after the command, e.g. "# after the deadline". */
  comment: string;
}

/**
 * The curl commands of the README's sh blocks, as a shell reads them: a backslash-newline
 * continues the line, quotes may span lines, and `#` outside quotes starts a comment.
 */
function curlExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const text = block[1]!;
    let command = '';
    let comment = '';
    let quote: '"' | "'" | null = null;
    const finish = () => {
      if (/^curl\s/.test(command.trim())) examples.push({ command: command.trim(), comment: comment.trim() });
      command = '';
      comment = '';
    };
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (quote) {
        if (char === quote) quote = null;
        command += char;
      } else if (char === "'" || char === '"') {
        quote = char;
        command += char;
      } else if (char === '\\' && text[i + 1] === '\n') {
        command += ' ';
        i++;
      } else if (char === '#' && (command === '' || /\s$/.test(command))) {
        const end = text.indexOf('\n', i);
        comment = text.slice(i, end === -1 ? undefined : end);
        i = (end === -1 ? text.length : end) - 1;
      } else if (char === '\n') {
        finish();
      } else {
        command += char;
      }
    }
    finish();
  }
  return examples;
}

let ctx: TestContext;
let baseUrl: string;

beforeAll(async () => {
  ctx = await createTestContext();
  await seedDemo(ctx.database.db, ctx.relay, { weeks: 2 });
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const address = ctx.app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening on a port');
  baseUrl = `http://127.0.0.1:${address.port}`;
}, 120_000);
afterAll(() => ctx?.close());

/** Lets the escalation's acknowledge deadline pass: its timer's step runs at the due time. */
async function passDeadline(escalationId: string) {
  const [row] = await ctx.database.db.select().from(escalations).where(eq(escalations.id, escalationId));
  if (!row?.nextStepAt) throw new Error(`escalation ${escalationId} has no pending step`);
  await runEscalationStep({ db: ctx.database.db, relay: ctx.relay }, { escalationId, step: row.step }, row.nextStepAt);
}

describe('the README examples', () => {
  const examples = curlExamples(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'));

  it('are found in the README', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    expect(examples.every((example) => example.command.includes(README_BASE_URL))).toBe(true);
  });

  it('each succeed against the demo, in order', async () => {
    const [ward7A] = await ctx.database.db.select({ id: wards.id }).from(wards).where(eq(wards.code, '7A'));
    const placeholders: Record<string, string> = { 'id of ward 7A': ward7A!.id };
    for (const { command, comment } of examples) {
      if (/after the deadline/.test(comment)) await passDeadline(placeholders.id!);
      const filled = command.replaceAll(README_BASE_URL, baseUrl).replace(/<([^<>]+)>/g, (_, name: string) => {
        const value = placeholders[name];
        if (value === undefined) throw new Error(`no value for <${name}> in: ${command}`);
        return value;
      });
      const { stdout } = await run('bash', ['-c', `${filled} -w '${STATUS_MARK}%{http_code}'`], { timeout: 20_000 });
      const at = stdout.lastIndexOf(STATUS_MARK);
      const status = Number(stdout.slice(at + STATUS_MARK.length));
      const body = stdout.slice(0, at);
      expect(status, `${command}\n${comment}\n-> ${body.slice(0, 600)}`).toBeGreaterThanOrEqual(200);
      expect(status, `${command}\n${comment}\n-> ${body.slice(0, 600)}`).toBeLessThan(300);

      // The ids a person copies from the briefing's answer for the examples that follow.
      if (command.includes('/v1/briefings')) {
        const item = JSON.parse(body).items[0];
        expect(item.escalation, 'the recorded problem is escalated').toMatchObject({ level: 1, state: 'open' });
        placeholders.id = item.escalation.id;
        placeholders['item id'] = item.id;
      }
      if (command.includes('/v1/senior-review')) {
        const queued = JSON.parse(body).data[0];
        expect(queued, 'the senior review queue lists an issue').toBeDefined();
        placeholders['queued item id'] = queued.itemId;
      }
    }
    expect(placeholders.id, 'the examples record a briefing').toBeDefined();

    // What the examples did, seen through the API as the ward sees it.
    const res = await ctx.app.inject({
      method: 'GET',
      url: `/v1/escalations/${placeholders.id}`,
      headers: { authorization: `Bearer ${DEMO_TOKENS.ward7A}` },
    });
    expect(res.json()).toMatchObject({ state: 'resolved', level: 2, outcome: 'fixed' });
  }, 60_000);
});
