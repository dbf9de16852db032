import { MongoClient, MongoNetworkError, MongoNotConnectedError, MongoServerError, MongoServerSelectionError, MongoTopologyClosedError, type Db } from 'mongodb';
import { AppError } from '../errors.js';

export type { Db };

/**
 * Connects and returns the database; the caller owns `client.close()`. Every write is
 * acknowledged only once a majority of the replica set has it in its journal (so an acknowledged
 * write survives a failover), and a write or read interrupted by a failover or a dropped
 * connection is retried once by the driver. While the server is away, an operation waits at most
 * `serverSelectionTimeoutMS` for it (answered as unavailable), and the driver reconnects by
 * itself when it is back.
 */
export async function connectMongo(url: string, dbName: string): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: 2000,
    ignoreUndefined: true,
    retryWrites: true,
    retryReads: true,
    writeConcern: { w: 'majority', journal: true },
  });
  await client.connect();
  return { client, db: client.db(dbName) };
}

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/** The driver could not reach a server (it is down, restarting, or failing over): not the caller's fault. */
export function isMongoUnavailable(err: unknown): boolean {
  return (
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  );
}

/**
 * A store whose methods answer `unavailable` (HTTP 503 at the gateway) while MongoDB cannot be
 * reached, instead of an internal error: the client may retry, nothing was decided.
 */
export function answerUnavailableWhileDown<S extends object>(store: S): S {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const out = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (!(out instanceof Promise)) return out;
        return out.catch((err: unknown) => {
          throw isMongoUnavailable(err) ? new AppError('unavailable', 'Service unavailable', { cause: err }) : err;
        });
      };
    },
  });
}
