/**
 * The container set-up, checked where no container engine exists: docker-compose.yml and
 * docker/Dockerfile are read as docker reads them (yaml, dockerfile-ast), and each healthcheck
 * command they name is run, as docker would run it inside the container (the image's working
 * directory and the service's environment), against a real process of that role: the compiled
 * service laid out as the image holds it. Healthy: exit 0; stopped (SIGSTOP, a hung process) or
 * gone: non-zero.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, type Dockerfile } from 'dockerfile-ast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PLATFORM_TOKEN } from '../helpers/context.js';
import { cloneTestDatabase } from '../helpers/database-clone.js';
import { sleep } from '../helpers/escalation.js';
import { buildImageLayout, startNodeArgs, type ImageLayout } from '../helpers/image-layout.js';
import {
  freePort,
  killAllChildren,
  REPO_ROOT,
  spawnChild,
  withTimeout,
  type ChildHandle,
} from '../helpers/processes.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';

interface ComposeService {
  image?: string;
  build?: unknown;
  pull_policy?: string;
  restart?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[]; timeout?: string };
}

const compose = parseYaml(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const dockerfile: Dockerfile = DockerfileParser.parse(readFileSync(path.join(REPO_ROOT, 'docker/Dockerfile'), 'utf8'));
const stages = dockerfile.getFROMs().map((from) => from.getBuildStage());
/** The instructions of the image's last stage: everything from the last FROM on. */
const finalStage = dockerfile
  .getInstructions()
  .filter((instruction) => instruction.getRange().start.line >= dockerfile.getFROMs().at(-1)!.getRange().start.line);

/** A compose `healthcheck.test` or a HEALTHCHECK instruction as the argv docker runs. */
function healthcheckArgv(test: string[]): string[] {
  const [form, ...rest] = test;
  if (form === 'CMD') return rest;
  if (form === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  throw new Error(`unexpected healthcheck form ${form}`);
}

function imageHealthcheck(): string[] {
  const [healthcheck] = dockerfile.getHEALTHCHECKs();
  expect(healthcheck?.getSubcommand()?.getValue()).toBe('CMD');
  const raw = healthcheck!.getRawArgumentsContent()!;
  const command = raw.slice(raw.indexOf('CMD') + 3).trim();
  return command.startsWith('[') ? (JSON.parse(command) as string[]) : ['/bin/sh', '-c', command];
}

/** ENV of the image's last stage (what every container starts with). */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of finalStage) {
    if (instruction.getKeyword() !== 'ENV') continue;
    for (const pair of instruction.getArgumentsContent()!.split(/\s+/)) {
      const [name, value] = pair.split('=');
      env[name!] = value!;
    }
  }
  return env;
}

let layout: ImageLayout;
let redis: PrivateRedis;
let database: Awaited<ReturnType<typeof cloneTestDatabase>>;

beforeAll(async () => {
  [layout, redis, database] = await Promise.all([buildImageLayout(), startPrivateRedis(), cloneTestDatabase()]);
});

afterAll(async () => {
  await killAllChildren('service');
  await redis?.stop();
  await database?.drop();
  await layout?.remove();
});

describe('docker-compose.yml and docker/Dockerfile', () => {
  it('every service restarts unless stopped and has a healthcheck; api and worker run one image, built once; Redis keeps its append-only file on a volume', () => {
    const services = compose.services;
    expect(Object.keys(services).sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toBe('unless-stopped');
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
    }
    // Built by api only, under a name the worker runs and never pulls.
    expect(services.api!.build).toBeDefined();
    expect(services.worker!.build).toBeUndefined();
    expect(services.worker!.image).toBe(services.api!.image);
    expect(services.worker!.pull_policy).toBe('never');
    expect(services.api!.environment!.ROLE).toBe('api');
    expect(services.worker!.environment!.ROLE).toBe('worker');
    // Redis writes its append-only file to /data, a named volume.
    expect(services.redis!.command).toEqual(
      expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
    );
    const redisVolume = services.redis!.volumes!.find((volume) => volume.endsWith(':/data'))!;
    expect(Object.keys(compose.volumes)).toContain(redisVolume.split(':')[0]);
  });

  it('the image builds what npm start runs, on Node 24, from a build context of its sources only', async () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
      scripts: Record<string, string>;
    };
    expect(pkg.engines.node).toBe('>=24');
    expect(stages).toEqual(['build', null]);
    for (const from of dockerfile.getFROMs()) expect(from.getImage()).toMatch(/^node:24-/);
    const instructions = dockerfile.getInstructions().map((i) => `${i.getKeyword()} ${i.getArgumentsContent()}`);
    // The build stage compiles exactly as npm start's prestart does.
    expect(pkg.scripts.prestart).toBe('npm run build');
    expect(instructions).toContain('RUN npm run build && npm prune --omit=dev --no-audit --no-fund');
    // npm start's command, options included, is the image's.
    const cmd = dockerfile
      .getCMDs()
      .at(-1)!
      .getJSONStrings()
      .map((arg) => arg.getJSONValue());
    expect(cmd).toEqual(['node', ...(await startNodeArgs()), 'dist/main.js']);
    // What that command reads, relative to the WORKDIR: dist, node_modules, package.json (type: module), migrations.
    const copied = finalStage.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getArguments().at(-1)!.getValue());
    expect(copied.sort()).toEqual(['./', './dist', './migrations', './node_modules']);
    expect(instructions).toContain('COPY package.json ./');
    // .dockerignore: everything but the sources the build copies.
    const ignore = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore).toEqual([
      '*',
      '!package.json',
      '!package-lock.json',
      '!tsconfig.json',
      '!tsconfig.build.json',
      '!src',
      '!migrations',
    ]);
    for (const kept of ignore.slice(1)) expect(existsSync(path.join(REPO_ROOT, kept.slice(1))), kept).toBe(true);
  });
});

/** Runs a healthcheck command as docker would in the container: the image's WORKDIR and the container's environment. */
async function runHealthcheck(
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = performance.now();
  const child = spawnChild('healthcheck', argv[0]!, argv.slice(1), {
    cwd: layout.dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  const exit = await withTimeout(child.exited, 20_000, `healthcheck ${argv.join(' ')}`);
  return { code: exit.code, output: `${child.stdout()}${child.stderr()}`.trim(), ms: performance.now() - started };
}

/** Polls the command until it exits 0 (a container's start period), failing early if the process exits. */
async function untilHealthy(process_: ChildHandle, argv: string[], env: Record<string, string>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!process_.isRunning()) throw new Error(`service exited:\n${process_.stderr().slice(-2000)}`);
    const result = await runHealthcheck(argv, env);
    if (result.code === 0) return result;
    if (Date.now() > deadline) throw new Error(`still unhealthy after ${timeoutMs} ms: ${result.output}`);
    await sleep(500);
  }
}

describe.each(['api', 'worker'] as const)('the %s service healthcheck against a real %s process', (role) => {
  it(
    'exits 0 while it works, non-zero while it is stopped (SIGSTOP) and once it is gone',
    { timeout: 240_000 },
    async () => {
      const service = compose.services[role]!;
      const commands = { compose: healthcheckArgv(service.healthcheck!.test), image: imageHealthcheck() };
      const port = await freePort();
      // The container's environment: the image's ENV, then the service's, pointed at this test's
      // database and Redis, on a free port.
      const env: Record<string, string> = {
        ...imageEnv(),
        ...service.environment,
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        BOOTSTRAP_ADMIN_TOKEN: PLATFORM_TOKEN,
        QUEUE_PREFIX: `hc${randomBytes(3).toString('hex')}`,
        PORT: String(port),
        LOG_LEVEL: 'warn',
      };
      expect(env.ROLE).toBe(role);
      expect(env.HOST).toBe('0.0.0.0');
      const process_ = layout.start(env);
      const figures: string[] = [];
      try {
        await untilHealthy(process_, commands.compose, env);
        for (const [source, argv] of Object.entries(commands)) {
          const healthy = await runHealthcheck(argv, env);
          expect(healthy.code, `${source}: ${healthy.output}`).toBe(0);
          figures.push(`${source} healthy ${healthy.code}`);
        }

        // A hung process: it still holds its port, but answers nothing.
        process_.child.kill('SIGSTOP');
        for (const [source, argv] of Object.entries(commands)) {
          const hung = await runHealthcheck(argv, env);
          expect(hung.code, `${source}: ${hung.output}`).not.toBe(0);
          expect(hung.output).toMatch(/no answer within/);
          figures.push(`${source} stopped ${hung.code} in ${(hung.ms / 1000).toFixed(1)} s`);
        }
        process_.child.kill('SIGCONT');
        await untilHealthy(process_, commands.compose, env, 30_000);

        if (role === 'worker') {
          // A worker that cannot reach Redis does no work: unhealthy until Redis is back.
          await redis.stop();
          const cut = await runHealthcheck(commands.compose, env);
          expect(cut.code, cut.output).not.toBe(0);
          expect(cut.output).toMatch(/503 .*"queue":"down"/);
          figures.push(`redis down ${cut.code}`);
          await redis.start();
          await untilHealthy(process_, commands.compose, env, 60_000);
        }

        await process_.kill('SIGKILL');
        for (const [source, argv] of Object.entries(commands)) {
          const gone = await runHealthcheck(argv, env);
          expect(gone.code, `${source}: ${gone.output}`).not.toBe(0);
          expect(gone.output).toMatch(/ECONNREFUSED/);
          figures.push(`${source} gone ${gone.code}`);
        }
        console.log(`[healthcheck] ${role}: ${commands.compose.join(' ')}: ${figures.join('; ')}`);
      } finally {
        if (process_.isRunning()) {
          process_.child.kill('SIGCONT');
          await process_.kill('SIGKILL');
        }
      }
    },
  );
});

describe('the postgres and redis service healthchecks', () => {
  it('exit 0 against the running PostgreSQL and Redis', async () => {
    for (const name of ['postgres', 'redis']) {
      const result = await runHealthcheck(healthcheckArgv(compose.services[name]!.healthcheck!.test), {});
      expect(result.code, `${name}: ${result.output}`).toBe(0);
    }
  });
});
