import { loadConfig } from '../config.js';
import { exitOnSignals, startService } from '../main.js';
import { DEMO_TOKENS, seedDemo } from './seed.js';

/** `npm run demo`: the service on the embedded database (unless DATABASE_URL is set), with demo data. */
async function main() {
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_TOKEN: 'demo-platform-admin-token-change-me',
    ...process.env,
  });
  const service = await startService(config, {
    afterMigrate: async (database) => {
      const started = Date.now();
      console.log('Preparing demo data (up to a minute on first start)...');
      const result = await seedDemo(database.db, { nudge: () => {} });
      if (result.seeded) console.log(`Demo data created in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    },
  });
  exitOnSignals(service);
  const url = (service.url ?? '').replace('0.0.0.0', '127.0.0.1');
  console.log(`
Ward safety briefings demo is running at ${url}
  API docs (Swagger UI): ${url}/docs
  Database: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded, stored in ${config.dataDir}`}

Demo tokens (send as "Authorization: Bearer <token>"):
${Object.entries(DEMO_TOKENS)
  .map(([who, token]) => `  ${who.padEnd(18)} ${token}`)
  .join('\n')}

Try:
  curl -s ${url}/v1/wards -H 'Authorization: Bearer ${DEMO_TOKENS.matronMedicine}'
  curl -s '${url}/v1/items?status=open&band=high' -H 'Authorization: Bearer ${DEMO_TOKENS.directorOfNursing}'
  curl -s ${url}/v1/senior-review -H 'Authorization: Bearer ${DEMO_TOKENS.directorOfNursing}'

Press Ctrl+C to stop.`);
}

main().catch((error: unknown) => {
  console.error('demo failed to start:', error);
  process.exit(1);
});
