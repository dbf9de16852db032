import { expect } from 'chai';
import { buildGrpcServer, service, namespaced, type BuiltServer, type Handler } from '../../../lib/grpc/server.js';
import { RpcClient, reconnectBackoffCapMs } from '../../../lib/grpc/client.js';
import { MachineServiceService, MachineResponse, SetMachineActiveResponse, UpdateMachineDocResponse } from '../../../lib/gen/teamhub/machine/v1/machine.js';
import { AppError } from '../../../lib/errors.js';
import { createRootLogger } from '../../../lib/logger.js';
import type { Namespace } from '../../../lib/namespace.js';
import { freePort } from '../../helpers/ports.js';

const SECRET = 'test-internal-secret-0123456789';
const alice = { namespace: 'alice' as Namespace };

/**
 * How the service client fails, against a real gRPC server on loopback: a transport failure gets a
 * fixed client-safe text (never grpc-js's `remote_addr=…`), a dead service fails fast, a hung one
 * at the deadline, and a request that cannot be encoded is refused before anything is sent.
 */
describe('service client: transport failures and requests that cannot be encoded', () => {
  let server: BuiltServer;
  let address: string;
  let client: RpcClient<typeof MachineServiceService>;
  let calls = 0;
  const log = createRootLogger('test', 'silent');

  before(async () => {
    const handlers: Record<string, Handler<unknown, unknown>> = {};
    for (const name of Object.keys(MachineServiceService)) handlers[name] = namespaced(async () => ((calls += 1), MachineResponse.fromPartial({})));
    // Never answers: a service that hangs (as under SIGSTOP).
    handlers.getMachine = namespaced(() => ((calls += 1), new Promise(() => undefined)));
    handlers.setMachineActive = namespaced(async () => ((calls += 1), SetMachineActiveResponse.fromPartial({})));
    handlers.updateMetadata = namespaced(async () => ((calls += 1), UpdateMachineDocResponse.fromPartial({})));
    // A handler that answers UNAVAILABLE on purpose: its text is kept, and it is not retried.
    handlers.setDisplayName = namespaced(async () => {
      calls += 1;
      throw new AppError('unavailable', 'Telegram authentication is disabled');
    });
    server = buildGrpcServer({ healthName: 'teamhub.machine.v1.MachineService', internalSecret: SECRET, log, services: [service(MachineServiceService, handlers as never)], reflectionProtos: [] });
    address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    client = new RpcClient(MachineServiceService, address, { internalSecret: SECRET, deadlineMs: 400 });
  });
  after(async () => {
    client?.close();
    await server?.stop(100);
  });
  beforeEach(() => {
    calls = 0;
  });

  it('when nothing listens at the address, then the call fails within 1 s as unavailable, with no address or errno in the text', async () => {
    const dead = new RpcClient(MachineServiceService, `127.0.0.1:${await freePort()}`, { internalSecret: SECRET });
    const started = Date.now();
    const err = await dead.call('listMachines', { activeOnly: false }, alice).catch((e: unknown) => e);
    dead.close();
    expect(Date.now() - started).to.be.below(1000);
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal('unavailable');
    expect((err as AppError).message).to.equal('service unavailable');
  });

  it('when the service hangs, then the call ends at its deadline as deadline_exceeded "Deadline exceeded", without remote_addr', async () => {
    const started = Date.now();
    const err = await client.call('getMachine', { id: 'x' }, alice).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(took).to.be.at.least(350);
    expect(took).to.be.below(3000);
    expect((err as AppError).code).to.equal('deadline_exceeded');
    expect((err as AppError).message).to.equal('Deadline exceeded');
    // grpc-js's own text is kept for the logs only.
    expect(String(((err as AppError).cause as Error).message)).to.match(/remote_addr=/);
  });

  it('when an int64 field is 1e308, -1e308 or 1.5, then the call is refused as invalid_argument and never reaches the service', async () => {
    for (const at of [1e308, -1e308, 1.5]) {
      const err = await client.call('setMachineActive', { id: 'm', active: true, at }, alice).catch((e: unknown) => e);
      expect((err as AppError).code, String(at)).to.equal('invalid_argument');
      expect((err as AppError).message).to.equal('Invalid request: a number is out of range for its field');
    }
    for (const expectedVersion of [1e308, 1.5]) {
      const err = await client.call('updateMetadata', { id: 'm', expectedVersion, json: '{}' }, alice).catch((e: unknown) => e);
      expect((err as AppError).code).to.equal('invalid_argument');
    }
    expect(calls).to.equal(0);
    await client.call('setMachineActive', { id: 'm', active: true, at: Date.now() }, alice);
    expect(calls).to.equal(1);
  });

  it('when a string field holds a lone surrogate, then the call is refused naming the field, instead of the text arriving as U+FFFD', async () => {
    const err = await client.call('updateMetadata', { id: 'm\ud800', expectedVersion: 1, json: '{}' }, alice).catch((e: unknown) => e);
    expect((err as AppError).code).to.equal('invalid_argument');
    expect((err as AppError).message).to.equal('Invalid text in id: not well-formed Unicode');
    expect(calls).to.equal(0);
  });

  it('when a handler answers UNAVAILABLE itself, then its text is kept and it is called once, not retried', async () => {
    const err = await client.call('setDisplayName', { id: 'm', displayName: 'x' }, alice).catch((e: unknown) => e);
    expect((err as AppError).code).to.equal('unavailable');
    expect((err as AppError).message).to.equal('Telegram authentication is disabled');
    expect(calls).to.equal(1);
  });
});

/**
 * A service restarted by the launcher comes back on the same address; the client must reach it
 * within its unavailable budget however long it was down. grpc-js only notices the service is back
 * when it dials again, spaced by its reconnect backoff; with that backoff longer than the budget, a
 * call made just after the restart could spend the whole budget waiting for the next dial and
 * answer 503 with the service up (the flake of the durability test's in-flight write).
 */
describe('service client: a service restarted on the same address', function () {
  this.timeout(30_000);
  const log = createRootLogger('test', 'silent');
  const budgetMs = 600;
  let port = 0;
  let server: BuiltServer | undefined;
  let client: RpcClient<typeof MachineServiceService>;

  const start = async () => {
    const handlers: Record<string, Handler<unknown, unknown>> = {};
    for (const name of Object.keys(MachineServiceService)) handlers[name] = namespaced(async () => MachineResponse.fromPartial({}));
    server = buildGrpcServer({ healthName: 'teamhub.machine.v1.MachineService', internalSecret: SECRET, log, services: [service(MachineServiceService, handlers as never)], reflectionProtos: [] });
    await server.listen(`127.0.0.1:${port}`);
  };

  before(async () => {
    port = await freePort();
    await start();
    client = new RpcClient(MachineServiceService, `127.0.0.1:${port}`, { internalSecret: SECRET, unavailableBudgetMs: budgetMs });
  });
  after(async () => {
    client?.close();
    await server?.stop(100);
  });

  it('when the service was down long enough for the reconnect backoff to reach its cap, then the first call after each restart is answered, within the budget', async () => {
    await client.call('getMachine', { id: 'm' }, alice);
    // Three outages, each 2.5 s of calls that fail fast: the backoff (100 ms x 1.6 per dial) reaches
    // its cap after about 1.5 s, so after each restart the next dial is at a random point of it.
    for (let outage = 1; outage <= 3; outage++) {
      await server!.stop(100);
      const downSince = Date.now();
      while (Date.now() - downSince < 2500) {
        const started = Date.now();
        const err = await client.call('getMachine', { id: 'm' }, alice).catch((e: unknown) => e);
        expect((err as AppError).code, `outage ${outage}: a call while down`).to.equal('unavailable');
        expect(Date.now() - started, `outage ${outage}: a call while down fails fast`).to.be.below(1000);
      }
      await start();
      const started = Date.now();
      const answer = await client.call('getMachine', { id: 'm' }, alice).then(
        () => 'answered',
        (e: AppError) => `${e.code}: ${e.message}`,
      );
      expect(answer, `outage ${outage}: the first call after the restart`).to.equal('answered');
      expect(Date.now() - started, `outage ${outage}: answered within the budget`).to.be.at.most(budgetMs);
    }
  });

  it('when the budget is set, then the reconnect backoff cap leaves a dial inside it (cap + 20 % jitter under half the budget)', () => {
    for (const budget of [300, 600, 2000]) expect(reconnectBackoffCapMs(budget) * 1.2, String(budget)).to.be.below(budget / 2);
  });
});
