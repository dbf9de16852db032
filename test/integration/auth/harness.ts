import { connect, type NatsConnection } from '@nats-io/transport-node';
import { buildGrpcServer, type BuiltServer } from '../../../lib/grpc/server.js';
import { RpcClient } from '../../../lib/grpc/client.js';
import { createRootLogger } from '../../../lib/logger.js';
import { AuthServiceService } from '../../../lib/gen/teamhub/auth/v1/auth.js';
import { RevocationEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import { HUB_SUBJECTS } from '../../../lib/nats/subjects.js';
import { AppError } from '../../../lib/errors.js';
import { MongoAuthStore } from '../../../services/auth/store-mongo.js';
import { resolveSecrets, type HubSecrets } from '../../../services/auth/secrets.js';
import { NatsRevocationSink } from '../../../services/auth/events.js';
import { buildServices } from '../../../services/auth/server.js';
import type { NamespaceMode } from '../../../services/auth/config.js';

export const BASE = 'base-token-for-tests-0123456789';
export const INTERNAL = 'internal-secret-for-tests-0123456789';
export const ADMIN = 'admin-token-for-tests-0123456789';
export const BOT = '123456:test-bot-token';

export interface AuthHarness {
  client: RpcClient<typeof AuthServiceService>;
  address: string;
  secrets: HubSecrets;
  events: RevocationEvent[];
  stop: () => Promise<void>;
}

/** A real auth gRPC server (Mongo store on a fresh db, real NATS) and a client for it. */
export async function startAuth(opts: { mongoUrl: string; dbName: string; natsUrl: string; mode?: NamespaceMode; failLimit?: number; bot?: string }): Promise<AuthHarness> {
  const log = createRootLogger('auth-test', 'silent');
  const store = await MongoAuthStore.open(opts.mongoUrl, opts.dbName);
  const nc: NatsConnection = await connect({ servers: opts.natsUrl });
  const events: RevocationEvent[] = [];
  const sub = nc.subscribe(HUB_SUBJECTS.revocation, { callback: (_e, m) => void events.push(RevocationEvent.decode(m.data)) });
  const secrets = await resolveSecrets(
    store,
    { envBaseToken: BASE, settingsFile: '/nonexistent/settings.json', adminTokenOverride: ADMIN, internalSecretOverride: INTERNAL, internalSecretFile: undefined, announceSecrets: false },
    log,
    { stderr: () => {}, stdout: () => {} },
  );
  const services = buildServices({
    cfg: { namespaceMode: opts.mode ?? 'open', failLimit: opts.failLimit ?? 1000, failWindowMs: 60_000, trustMs: 30 * 24 * 3600_000, telegramBotToken: opts.bot },
    store,
    secrets,
    revocations: new NatsRevocationSink(nc, log),
    log,
  });
  const server: BuiltServer = buildGrpcServer({ healthName: 'teamhub.auth.v1.AuthService', internalSecret: INTERNAL, log, services, reflectionProtos: ['teamhub/auth/v1/auth.proto'] });
  const port = await server.listen('127.0.0.1:0');
  const address = `127.0.0.1:${port}`;
  const client = new RpcClient(AuthServiceService, address, { internalSecret: INTERNAL });
  return {
    client,
    address,
    secrets,
    events,
    stop: async () => {
      client.close();
      await server.stop(1000);
      sub.unsubscribe();
      await nc.drain();
      await store.close();
    },
  };
}

/** The AppError a promise rejects with. */
export async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}
