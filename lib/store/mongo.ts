import { MongoClient, MongoServerError, type Db } from 'mongodb';

export type { Db };

/** Connects and returns the database; the caller owns `client.close()`. */
export async function connectMongo(url: string, dbName: string): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, ignoreUndefined: true });
  await client.connect();
  return { client, db: client.db(dbName) };
}

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}
