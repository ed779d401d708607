/**
 * The service as the container image holds it, for tests that run what the image runs where no
 * container engine exists: docker/Dockerfile's last stage is a WORKDIR with `dist` (the
 * compiled build), `node_modules`, `package.json` and `migrations`, and its CMD is `npm start`'s
 * command. Here that directory is a temporary one: compiled with tsconfig.build.json, the
 * repository's node_modules linked in, package.json and the migrations copied.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, spawnService, type ChildHandle } from './processes.js';

const run = promisify(execFile);

export interface ImageLayout {
  /** The image's WORKDIR: dist, node_modules, package.json, migrations. */
  dir: string;
  /** The same build with another migrations folder, in a directory of its own. */
  withMigrations(folder: string): Promise<ImageLayout>;
  /** `npm start`'s command (node, its options, dist/main.js) in this directory, configured by `env` only. */
  start(env: Record<string, string>): ChildHandle;
  remove(): Promise<void>;
}

/** Node's options in `npm start` (package.json), e.g. the heap limit, without `node` and the entry point. */
export async function startNodeArgs(): Promise<string[]> {
  const start: string = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts.start;
  const [node, ...args] = start.split(' ');
  if (node !== 'node' || args.pop() !== 'dist/main.js') throw new Error(`unexpected start script: ${start}`);
  return args;
}

/** Compiles the service (about 15 s here) and lays it out as the image does. */
export async function buildImageLayout(): Promise<ImageLayout> {
  const root = await mkdtemp(path.join(tmpdir(), 'wsb-image-'));
  const build = path.join(root, 'build');
  await run(process.execPath, [
    path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    path.join(REPO_ROOT, 'tsconfig.build.json'),
    '--outDir',
    build,
  ]);
  const nodeArgs = await startNodeArgs();
  let count = 0;
  const layout = async (migrations: string): Promise<ImageLayout> => {
    const dir = path.join(root, `app-${count++}`);
    await mkdir(dir);
    // A copy, not a link: the service finds its migrations relative to its own files' real path.
    await cp(build, path.join(dir, 'dist'), { recursive: true });
    await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    await cp(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
    await cp(migrations, path.join(dir, 'migrations'), { recursive: true });
    return {
      dir,
      withMigrations: (folder) => layout(folder),
      start: (env) => spawnService({ cwd: dir, entry: 'compiled', nodeArgs, env }),
      remove: () => rm(root, { recursive: true, force: true }),
    };
  };
  return layout(path.join(REPO_ROOT, 'migrations'));
}
