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

/** Where a standby lives and who runs it: the postgres OS user (`owner`) when the tests run as root. */
interface StandbyPlace {
  bin: string;
  /** The primary's replication slot for this standby: it keeps the WAL the standby has not yet received. */
  slot: string;
  dir: string;
  port: number;
  asPostgres: boolean;
  owner: { uid: number; gid: number } | null;
}

const SLOT_PREFIX = 'wsb_standby_';

/** Drops this standby's slot, and any slot a killed test run left behind (inactive, with the prefix). */
async function dropSlots(adminUrl: string, slot: string | null) {
  await asAdmin(adminUrl, (c) =>
    c.query(
      `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
        WHERE slot_name LIKE $1 AND (slot_name = $2 OR NOT active)`,
      [`${SLOT_PREFIX}%`, slot ?? ''],
    ),
  );
}

/** The server's binaries, a temporary directory the standby's user owns, and a free port. */
async function prepareStandby(adminUrl: string): Promise<StandbyPlace> {
  const bin = await binDir(adminUrl);
  const asPostgres = userInfo().uid === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'wsb-standby-'));
  const owner = asPostgres
    ? {
        uid: Number(run('id', ['-u', 'postgres'], false).trim()),
        gid: Number(run('id', ['-g', 'postgres'], false).trim()),
      }
    : null;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const port = await freePort();
  return { bin, slot: `${SLOT_PREFIX}${port}`, dir, port, asPostgres, owner };
}

/** `pg_ctl -D <the standby's data directory>` with the given arguments. */
function pgCtl(place: StandbyPlace, args: string[]) {
  run(`${place.bin}/pg_ctl`, ['-D', `${place.dir}/data`, ...args], place.asPostgres);
}

/** `pg_basebackup -R` of the primary's whole cluster, streaming its WAL, into the standby's data directory. */
function copyPrimary(place: StandbyPlace, adminUrl: string) {
  const admin = new URL(adminUrl);
  run(
    `${place.bin}/pg_basebackup`,
    [
      '-R',
      '-C',
      '-S',
      place.slot,
      '-X',
      'stream',
      '-c',
      'fast',
      '-D',
      `${place.dir}/data`,
      '-h',
      admin.hostname,
      '-p',
      admin.port || '5432',
      '-U',
      'postgres',
    ],
    place.asPostgres,
  );
}

/**
 * The copy's own configuration: Debian keeps the primary's in /etc, so the copy has none. It
 * listens on its own port and socket directory, with the settings it may not have lower than the primary's.
 */
async function configureStandby(place: StandbyPlace, adminUrl: string) {
  const primary = await asAdmin(
    adminUrl,
    async (c) =>
      (
        await c.query<{ name: string; setting: string }>(`SELECT name, setting FROM pg_settings WHERE name = ANY($1)`, [
          AT_LEAST_PRIMARY,
        ])
      ).rows,
  );
  const conf = [
    `listen_addresses = '127.0.0.1'`,
    `port = ${place.port}`,
    `unix_socket_directories = '${place.dir}'`,
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
    writeFileSync(`${place.dir}/data/${name}`, text);
    if (place.owner) chownSync(`${place.dir}/data/${name}`, place.owner.uid, place.owner.gid);
  }
}

/** What the tests hold of a running standby: its URLs, queries on it, waiting for replay, and stopping it. */
function standbyHandle(place: StandbyPlace, adminUrl: string): HotStandby {
  const { port } = place;
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
    async waitForReplay({ receivedOnly = false, timeoutMs = 120_000 } = {}) {
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
        pgCtl(place, ['-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(place.dir, { recursive: true, force: true });
        await dropSlots(adminUrl, place.slot);
      }
    },
  };
}

/** A running hot standby of the server at `adminUrl`; when it cannot be started, nothing is left behind. */
export async function startHotStandby(adminUrl: string): Promise<HotStandby> {
  await ensureReplicationAllowed(adminUrl);
  await dropSlots(adminUrl, null);
  const place = await prepareStandby(adminUrl);
  let started = false;
  try {
    copyPrimary(place, adminUrl);
    await configureStandby(place, adminUrl);
    pgCtl(place, ['-l', `${place.dir}/server.log`, '-w', '-t', '60', 'start']);
    started = true;
  } catch (error) {
    if (started) pgCtl(place, ['-m', 'immediate', 'stop']);
    rmSync(place.dir, { recursive: true, force: true });
    await dropSlots(adminUrl, place.slot);
    throw error;
  }
  return standbyHandle(place, adminUrl);
}
