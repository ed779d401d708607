/**
 * A body over the limit gets its 413 on the wire. A client that writes its whole body before
 * reading (as most HTTP clients do) must still read the refusal: the service reads what is sent
 * before it closes the connection, rather than closing under the client (EPIPE, or a reset that
 * throws the answer away).
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { createOrganisation, type Organisation } from '../helpers/fixtures.js';
import { parseRawAnswer, problemDefect, send, type SendResult } from '../faults/service-harness.js';

const ROUNDS = 40;
const CHUNK = 16 * 1024;
let ctx: TestContext;
let org: Organisation;
let baseUrl: string;

beforeAll(async () => {
  ctx = await createTestContext();
  org = await createOrganisation(ctx.app);
  baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => ctx?.close());

/** 300 KB of JSON: over the default 256 KiB limit. */
const oversized = JSON.stringify({ reason: 'x'.repeat(300 * 1024) });

/** Writes the whole request on a fresh socket, then reads until the server closes or answers in full. */
function writeWholeBodyThenRead(path: string, token: string | null): Promise<SendResult & { writeError?: string }> {
  const { port } = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let data = '';
    let writeError: string | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (writeError = error.code ?? error.message));
    let sent = 0;
    socket.on('close', () =>
      resolve({
        ...parseRawAnswer(data, performance.now() - started),
        ...(writeError ? { writeError } : {}),
        ...(sent < Buffer.byteLength(oversized)
          ? { writeError: writeError ?? `closed after ${sent} bytes of the body` }
          : {}),
      }),
    );
    const body = Buffer.from(oversized, 'utf8');
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n` +
        `${token ? `authorization: Bearer ${token}\r\n` : ''}connection: close\r\n\r\n`,
    );
    // As a client on a real network does: the body goes out in pieces, the answer is read after.
    void (async () => {
      for (let at = 0; at < body.length && !socket.destroyed; at += CHUNK) {
        await new Promise<void>((done) =>
          socket.write(body.subarray(at, at + CHUNK), (error) => {
            if (error) writeError ??= (error as NodeJS.ErrnoException).code ?? error.message;
            else sent += Math.min(CHUNK, body.length - at);
            done();
          }),
        );
        await new Promise((wait) => setTimeout(wait, 2));
      }
      if (!socket.destroyed) socket.end();
    })();
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
}

describe('a body over the limit', () => {
  it(`is answered 413 with a problem document, read by a client that wrote it all, ${ROUNDS} times in a row`, async () => {
    const path = `/v1/escalations/${randomUUID()}/escalate`;
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const answer = await writeWholeBodyThenRead(path, org.middleManager.token);
      const defect = answer.writeError
        ? `writing the body failed: ${answer.writeError}`
        : answer.status === 413
          ? problemDefect(answer)
          : `status ${answer.status || 'none'}`;
      if (defect) failures.push(`round ${round}: ${defect}`);
    }
    expect(failures).toEqual([]);
  });

  it('is answered 413 to an HTTP client that sends the whole body first, on a new or a kept-alive connection', async () => {
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const answer = await send(baseUrl, {
        method: 'POST',
        path: `/v1/escalations/${randomUUID()}/escalate`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${org.middleManager.token}` },
        body: oversized,
        fresh: round % 2 === 0,
      });
      const defect =
        answer.status === 413 ? problemDefect(answer) : `status ${answer.status || answer.error || 'none'}`;
      if (defect) failures.push(`round ${round}: ${defect}`);
    }
    expect(failures).toEqual([]);
  });

  it('without a token is answered 401 and the connection still reads the whole body', async () => {
    const answer = await writeWholeBodyThenRead(`/v1/escalations/${randomUUID()}/escalate`, null);
    expect(answer.writeError).toBeUndefined();
    expect(answer.status).toBe(401);
  });
});
