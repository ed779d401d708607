import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database, Executor, Transaction } from './client.js';

/** Something that can be asked to relay the outbox soon after a commit. */
export interface Relay {
  nudge(): void;
}

/**
 * One transaction that spans a whole request (a POST with an Idempotency-Key): the services'
 * writes and the key's stored answer commit together, or neither does.
 *
 * Services keep using the `db` they were given: a transaction-aware handle (transactionAware)
 * sends every statement of a request that holds a transaction into it, so their own
 * `db.transaction(...)` calls become savepoints, and their prepared statements run on its
 * connection. Outside such a request the handle is the database itself.
 */
interface Held {
  /** null once the transaction has ended: later statements go to the database again. */
  tx: Transaction | null;
  /** What waits for the commit (asking the outbox relay to move what the request wrote). */
  afterCommit: Set<() => void>;
}

const held = new AsyncLocalStorage<Held>();
const rootOf = new WeakMap<object, Database>();

/** The database handle the services get: inside a request that holds a transaction, that transaction. */
export function transactionAware(db: Database): Database {
  // Methods bound once per handle and name (every statement goes through here).
  const bound = new WeakMap<object, Map<PropertyKey, unknown>>();
  const handle = new Proxy(db, {
    get(target, property) {
      const source: object = held.getStore()?.tx ?? target;
      const value: unknown = Reflect.get(source, property, source);
      if (typeof value !== 'function') return value;
      let methods = bound.get(source);
      if (!methods) bound.set(source, (methods = new Map<PropertyKey, unknown>()));
      let method = methods.get(property);
      if (method === undefined) methods.set(property, (method = value.bind(source)));
      return method;
    },
  });
  rootOf.set(handle, db);
  return handle;
}

/** Where a statement given `db` runs now: the request's transaction for a transaction-aware handle. */
export function executorFor(db: Executor): Executor {
  const root = rootOf.get(db);
  if (!root) return db;
  return held.getStore()?.tx ?? root;
}

/**
 * The database itself, outside the request's transaction: for a look-up after a statement
 * failed in it (a failed statement aborts the transaction until it ends).
 */
export function outsideRequestTransaction(db: Database): Database {
  return rootOf.get(db) ?? db;
}

/**
 * Runs `fn` in a transaction: inside a request that holds one, in that transaction itself;
 * elsewhere in a new one on `db`. For writes whose failure fails the request (which then rolls
 * everything back), where a savepoint would only cost two more round trips. A caller that
 * catches a failure to carry on writing needs `db.transaction` (a savepoint) instead.
 */
export function withinTransaction<T>(db: Database, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  const tx = held.getStore()?.tx;
  return tx ? fn(tx) : db.transaction(fn);
}

export const inRequestTransaction = () => (held.getStore()?.tx ?? null) !== null;

/** The relay the services get: inside a request's transaction, it is nudged once that commits. */
export function relayAfterCommit(relay: Relay): Relay {
  const nudge = () => relay.nudge();
  return {
    nudge() {
      const store = held.getStore();
      if (store?.tx) store.afterCommit.add(nudge);
      else relay.nudge();
    },
  };
}

export interface RequestTransaction {
  readonly tx: Transaction;
  /** Runs `fn` (and everything it starts) with transaction-aware handles inside this transaction. */
  run<T>(fn: () => T): T;
  /** Commits; rejects when the commit failed (then nothing was written). Runs what waits for it. */
  commit(): Promise<void>;
  /** Rolls back; never rejects (a connection that died has rolled back anyway). */
  rollback(): Promise<void>;
}

/** Thrown inside drizzle's transaction callback to end it with a rollback. */
class RolledBack extends Error {}

/** Begins a transaction on `db` that stays open until commit() or rollback(). */
export async function beginRequestTransaction(db: Database): Promise<RequestTransaction> {
  let decide!: (commit: boolean) => void;
  const decided = new Promise<boolean>((resolve) => (decide = resolve));
  let begun!: (tx: Transaction) => void;
  const ready = new Promise<Transaction>((resolve) => (begun = resolve));
  const ended = db.transaction(async (tx) => {
    begun(tx);
    if (!(await decided)) throw new RolledBack('request transaction rolled back');
  });
  // Settled either way; what the caller hears of it goes through commit() or rollback().
  const outcome = ended.then(
    () => ({ committed: true as const }),
    (error: unknown) => ({ committed: false as const, error }),
  );
  const tx = await Promise.race([
    ready,
    outcome.then((result) => {
      throw result.committed ? new Error('the transaction ended before it began') : result.error;
    }),
  ]);
  const store: Held = { tx, afterCommit: new Set() };
  const end = async (commit: boolean) => {
    store.tx = null;
    decide(commit);
    return outcome;
  };
  return {
    tx,
    run: (fn) => held.run(store, fn),
    async commit() {
      const result = await end(true);
      if (!result.committed) throw result.error;
      // Outside the request's context: what runs now must not see its (ended) transaction.
      held.exit(() => {
        for (const after of store.afterCommit) after();
      });
    },
    async rollback() {
      await end(false);
    },
  };
}
