/**
 * A real PostgreSQL hot standby of the test server, for the tests of reports read from a replica:
 * `pg_basebackup -R` of the whole cluster into a temporary directory, started with `pg_ctl` on a
 * free port (as the postgres OS user when the tests run as root), stopped and removed after.
 *
 * The server must accept replication connections from 127.0.0.1. When its pg_hba.conf has no
 * replication line and this process may write that file (the CI machine runs the tests as
 * root), one is added (`host replication all 127.0.0.1/32 trust`, as trusting as the loopback
 * line the tests already rely on) and the configuration reloaded; doing it again changes nothing.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, chownSync, constants, appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { asAdmin } from './postgres-admin.js';
import { freePort } from './processes.js';

export interface HotStandby {
  port: number;
  /** The URL of the same database on the standby. */
  urlOf(primaryUrl: string): string;
  /** Runs one statement on the standby, in the given database. */
  query<T extends pg.QueryResultRow>(database: string, text: string): Promise<T[]>;
  /** Waits until the standby has received (and, unless paused, replayed) everything the primary wrote so far. */
  waitForReplay(options?: { receivedOnly?: boolean; timeoutMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

const REPLICATION_LINE = 'host replication all 127.0.0.1/32 trust';

function run(command: string, args: string[], asPostgres: boolean) {
  const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 180_000 });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.error?.message}`,
    );
  }
  return result.stdout;
}

/** The server's binaries (pg_basebackup, pg_ctl): Debian keeps them out of PATH. */
async function binDir(adminUrl: string): Promise<string> {
  const major = await asAdmin(
    adminUrl,
    async (c) => (await c.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v,
  );
  return `/usr/lib/postgresql/${Math.floor(Number(major) / 10_000)}/bin`;
}

/** Replication over loopback allowed, adding the pg_hba.conf line when it is missing and we may. */
export async function ensureReplicationAllowed(adminUrl: string): Promise<void> {
  await asAdmin(adminUrl, async (client) => {
    const settings = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'max_wal_senders', 'hba_file')`,
    );
    const get = (name: string) => settings.rows.find((r) => r.name === name)?.setting ?? '';
    if (get('wal_level') === 'minimal' || Number(get('max_wal_senders')) < 3) {
      throw new Error(
        `a hot standby needs wal_level replica and max_wal_senders >= 3 (server has ${get('wal_level')}, ${get('max_wal_senders')}); both need a restart`,
      );
    }
    const allowed = async () =>
      (
        await client.query(
          `SELECT 1 FROM pg_hba_file_rules
           WHERE type = 'host' AND 'replication' = ANY(database) AND (address = '127.0.0.1' OR address IN ('all', 'samehost'))
             AND auth_method = 'trust' AND error IS NULL`,
        )
      ).rowCount! > 0;
    if (await allowed()) return;
    const hba = get('hba_file');
    try {
      accessSync(hba, constants.W_OK);
    } catch {
      throw new Error(
        `${hba} allows no replication from 127.0.0.1 and cannot be changed here: add "${REPLICATION_LINE}"`,
      );
    }
    appendFileSync(hba, `\n# A hot standby on this machine (the reports' replica tests)\n${REPLICATION_LINE}\n`);
    await client.query('SELECT pg_reload_conf()');
    for (let tries = 0; tries < 50 && !(await allowed()); tries++) await new Promise((r) => setTimeout(r, 100));
    if (!(await allowed())) throw new Error(`added "${REPLICATION_LINE}" to ${hba}, but the server does not show it`);
  });
}

/** Settings a standby may not have lower than its primary's. */
const AT_LEAST_PRIMARY = [
  'max_connections',
  'max_worker_processes',
  'max_wal_senders',
  'max_prepared_transactions',
  'max_locks_per_transaction',
];

export async function startHotStandby(adminUrl: string): Promise<HotStandby> {
  await ensureReplicationAllowed(adminUrl);
  const bin = await binDir(adminUrl);
  const asPostgres = userInfo().uid === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'wsb-standby-'));
  const postgresUser = asPostgres ? Number(run('id', ['-u', 'postgres'], false).trim()) : -1;
  const postgresGroup = asPostgres ? Number(run('id', ['-g', 'postgres'], false).trim()) : -1;
  if (asPostgres) chownSync(dir, postgresUser, postgresGroup);
  const admin = new URL(adminUrl);
  const port = await freePort();
  let started = false;
  try {
    run(
      `${bin}/pg_basebackup`,
      [
        '-R',
        '-X',
        'stream',
        '-c',
        'fast',
        '-D',
        `${dir}/data`,
        '-h',
        admin.hostname,
        '-p',
        admin.port || '5432',
        '-U',
        'postgres',
      ],
      asPostgres,
    );
    const primary = await asAdmin(
      adminUrl,
      async (c) =>
        (
          await c.query<{ name: string; setting: string }>(
            `SELECT name, setting FROM pg_settings WHERE name = ANY($1)`,
            [AT_LEAST_PRIMARY],
          )
        ).rows,
    );
    // Debian keeps the configuration in /etc, so the copy has none: give it its own.
    const conf = [
      `listen_addresses = '127.0.0.1'`,
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      `hot_standby = on`,
      `shared_buffers = '32MB'`,
      `fsync = off`,
      ...primary.map((r) => `${r.name} = ${r.setting}`),
    ];
    const files: [string, string][] = [
      ['postgresql.conf', `${conf.join('\n')}\n`],
      ['pg_hba.conf', 'local all all trust\nhost all all 127.0.0.1/32 trust\n'],
      ['pg_ident.conf', ''],
    ];
    for (const [name, text] of files) {
      writeFileSync(`${dir}/data/${name}`, text);
      if (asPostgres) chownSync(`${dir}/data/${name}`, postgresUser, postgresGroup);
    }
    run(`${bin}/pg_ctl`, ['-D', `${dir}/data`, '-l', `${dir}/server.log`, '-w', '-t', '60', 'start'], asPostgres);
    started = true;
  } catch (error) {
    if (started) run(`${bin}/pg_ctl`, ['-D', `${dir}/data`, '-m', 'immediate', 'stop'], asPostgres);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const urlOf = (primaryUrl: string) => {
    const url = new URL(primaryUrl);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    return url.toString();
  };
  const query = async <T extends pg.QueryResultRow>(database: string, text: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  };
  const primaryLsn = () =>
    asAdmin(
      adminUrl,
      async (c) => (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn,
    );
  return {
    port,
    urlOf,
    query,
    async waitForReplay({ receivedOnly = false, timeoutMs = 30_000 } = {}) {
      const target = await primaryLsn();
      const column = receivedOnly ? 'pg_last_wal_receive_lsn()' : 'pg_last_wal_replay_lsn()';
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [row] = await query<{ done: boolean }>('postgres', `SELECT ${column} >= '${target}'::pg_lsn AS done`);
        if (row?.done) return;
        if (Date.now() > deadline) throw new Error(`standby did not reach ${target} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      try {
        run(`${bin}/pg_ctl`, ['-D', `${dir}/data`, '-m', 'fast', '-w', 'stop'], asPostgres);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
