import type { Database } from './db/client.js';
import type { Relay } from './db/request-transaction.js';
import { DEFAULT_TOKEN_LIFETIMES, type TokenLifetimes } from './domain/token-lifetime.js';

// Declared next to the request transaction that defers it (src/db imports no feature).
export type { Relay };

/** Organisation-independent tuning of the domain rules, from configuration. */
export interface Tuning {
  /** Trigram similarity (0-1) at which a new item is taken as a repeat of an open one. */
  repeatSimilarity: number;
  persistentMinRaised: number;
  persistentMinDays: number;
}

/** The defaults of the REPEAT_SIMILARITY_THRESHOLD, PERSISTENT_MIN_* settings (src/config.ts), and of services given none. */
export const DEFAULT_TUNING: Tuning = { repeatSimilarity: 0.5, persistentMinRaised: 3, persistentMinDays: 14 };

/** What services and routes need: the database, a way to hurry queued work along, tuning. */
export interface ServiceDeps {
  db: Database;
  /** The read replica reports and exports read (REPORTS_DATABASE_URL); absent: they read `db`. */
  reportsDb?: Database | undefined;
  relay: Relay;
  tuning?: Tuning;
  /** How long API tokens live (STAFF_TOKEN_DAYS and the others in src/config.ts). */
  tokenLifetimes?: TokenLifetimes;
}

export const tuningOf = (deps: { tuning?: Tuning | undefined }): Tuning => deps.tuning ?? DEFAULT_TUNING;

export const tokenLifetimesOf = (deps: { tokenLifetimes?: TokenLifetimes | undefined }): TokenLifetimes =>
  deps.tokenLifetimes ?? DEFAULT_TOKEN_LIFETIMES;
