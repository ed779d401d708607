import type { Database } from './db/client.js';

/** Something that can be asked to relay the outbox soon after a commit. */
export interface Relay {
  nudge(): void;
}

/** What services and routes need: the database and a way to hurry queued work along. */
export interface ServiceDeps {
  db: Database;
  relay: Relay;
}
