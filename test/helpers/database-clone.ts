import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { cloneDatabase, dropDatabase } from './postgres-admin.js';

/** A fresh database cloned from the migrated template (see global-setup.ts), for one test file. */
export async function cloneTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject('databaseAdminUrl');
  const template = inject('templateDatabase');
  const name = `${template.replace(/_template$/, '')}_${randomBytes(4).toString('hex')}`;
  return {
    url: await cloneDatabase(adminUrl, template, name),
    drop: () => dropDatabase(adminUrl, name),
  };
}
