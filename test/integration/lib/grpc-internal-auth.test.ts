import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildGrpcServer, service, namespaced, hubScoped, type BuiltServer, type Handler } from '../../../lib/grpc/server.js';
import { RpcClient } from '../../../lib/grpc/client.js';
import { buildCallMetadata } from '../../../lib/grpc/metadata.js';
import { MachineServiceService, GetMachineRequest, MachineResponse, ListMachinesResponse } from '../../../lib/gen/teamhub/machine/v1/machine.js';
import { AppError } from '../../../lib/errors.js';
import { createRootLogger } from '../../../lib/logger.js';
import type { Namespace } from '../../../lib/namespace.js';

const SECRET = 'test-internal-secret-0123456789';

/** Every method echoes the namespace it was called in; AdminListMachines is hub-scoped. */
function echoHandlers(): Record<string, Handler<unknown, unknown>> {
  const handlers: Record<string, Handler<unknown, unknown>> = {};
  for (const name of Object.keys(MachineServiceService)) {
    handlers[name] = name.startsWith('admin')
      ? hubScoped(async (_req, ctx) => ListMachinesResponse.fromPartial({ machines: [{ id: `hub:${ctx.namespace ?? '-'}` }] }))
      : namespaced(async (req, ctx) => {
          if ((req as { id?: string }).id === 'boom') throw new Error('secret detail');
          if ((req as { id?: string }).id === 'missing') throw new AppError('not_found', 'Machine not found');
          return MachineResponse.fromPartial({ machine: { id: (req as { id?: string }).id, namespace: ctx.namespace } });
        });
  }
  return handlers;
}

describe('internal gRPC calls (real server on loopback)', () => {
  let server: BuiltServer;
  let address: string;
  let client: RpcClient<typeof MachineServiceService>;
  const log = createRootLogger('test', 'silent');

  before(async () => {
    server = buildGrpcServer({
      healthName: 'teamhub.machine.v1.MachineService',
      internalSecret: SECRET,
      log,
      services: [service(MachineServiceService, echoHandlers() as never)],
      reflectionProtos: ['teamhub/machine/v1/machine.proto'],
    });
    const port = await server.listen('127.0.0.1:0');
    address = `127.0.0.1:${port}`;
    client = new RpcClient(MachineServiceService, address, { internalSecret: SECRET });
  });
  after(async () => {
    client?.close();
    await server?.stop(1000);
  });

  function rawCall(md: grpc.Metadata, req: GetMachineRequest): Promise<MachineResponse> {
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    const def = MachineServiceService.getMachine;
    return new Promise((resolve, reject) =>
      raw.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, md, (err, res) => {
        raw.close();
        return err ? reject(err) : resolve(res!);
      }),
    );
  }

  it('when the call carries the secret and a namespace, then the handler sees that namespace', async () => {
    const res = await client.call('getMachine', { namespace: 'ünï', id: 'm1' }, { namespace: 'ünï' as Namespace });
    expect(res.machine).to.include({ id: 'm1', namespace: 'ünï' });
  });

  it('when the internal credential is missing or wrong, then the call is refused UNAUTHENTICATED', async () => {
    const md = new grpc.Metadata();
    md.set('teamhub-namespace-bin', Buffer.from('alice'));
    const err1 = await rawCall(md, { namespace: 'alice', id: 'm1' }).catch((e) => e);
    expect(err1.code).to.equal(grpc.status.UNAUTHENTICATED);
    const err2 = await rawCall(buildCallMetadata('wrong-secret-value-xxxxxxxx', { namespace: 'alice' as Namespace }), { namespace: 'alice', id: 'm1' }).catch((e) => e);
    expect(err2.code).to.equal(grpc.status.UNAUTHENTICATED);
  });

  it('when the namespace is missing, then a namespaced call is refused', async () => {
    const md = new grpc.Metadata();
    md.set('teamhub-internal-secret', SECRET);
    const err = await rawCall(md, { namespace: '', id: 'm1' }).catch((e) => e);
    expect(err.code).to.equal(grpc.status.UNAUTHENTICATED);
  });

  it('when the body names another namespace than the metadata, then the call is refused', async () => {
    const err = await client.call('getMachine', { namespace: 'bob', id: 'm1' }, { namespace: 'alice' as Namespace }).catch((e) => e);
    expect(err).to.be.instanceOf(AppError);
    expect(err.code).to.equal('permission_denied');
  });

  it('when a hub-scoped method is called without the hub scope, then it is refused; with it, it runs', async () => {
    const err = await client.call('adminListMachines', {}, { namespace: 'alice' as Namespace }).catch((e) => e);
    expect(err.code).to.equal('unauthenticated');
    const ok = await client.call('adminListMachines', {}, { hub: true });
    expect(ok.machines[0]!.id).to.equal('hub:-');
  });

  it('when a handler throws an AppError, then the client gets the same code and message', async () => {
    const err = await client.call('getMachine', { namespace: 'alice', id: 'missing' }, { namespace: 'alice' as Namespace }).catch((e) => e);
    expect(err.code).to.equal('not_found');
    expect(err.message).to.equal('Machine not found');
  });

  it('when a handler throws anything else, then the client sees "internal error" and no detail', async () => {
    const err = await client.call('getMachine', { namespace: 'alice', id: 'boom' }, { namespace: 'alice' as Namespace }).catch((e) => e);
    expect(err.code).to.equal('internal');
    expect(err.message).to.equal('internal error');
  });

  /** A generic client for a proto file shipped inside an npm package (health, reflection). */
  function packageClient(pkgFile: string, service: string): grpc.Client {
    const file = createRequire(import.meta.url).resolve(pkgFile);
    const def = protoLoader.loadSync(file, { includeDirs: [path.dirname(file)], enums: String });
    const ctor = grpc.loadPackageDefinition(def);
    const Client = service.split('.').reduce((o: any, k) => o[k], ctor) as typeof grpc.Client;
    return new Client(address, grpc.credentials.createInsecure());
  }

  it('when the standard health service is asked, then the server and the named service are SERVING, with no credential needed', async () => {
    const health = packageClient('grpc-health-check/proto/health/v1/health.proto', 'grpc.health.v1.Health') as grpc.Client & { check: Function };
    const check = (service: string) =>
      new Promise<{ status: string }>((resolve, reject) => health.check({ service }, (err: Error | null, res: { status: string }) => (err ? reject(err) : resolve(res))));
    expect((await check('')).status).to.equal('SERVING');
    expect((await check('teamhub.machine.v1.MachineService')).status).to.equal('SERVING');
    health.close();
  });

  it('when server reflection is asked, then it lists the service', async () => {
    const refl = packageClient('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto', 'grpc.reflection.v1.ServerReflection') as grpc.Client & {
      serverReflectionInfo: () => grpc.ClientDuplexStream<unknown, { listServicesResponse?: { service: { name: string }[] } }>;
    };
    const call = refl.serverReflectionInfo();
    const answer = new Promise<string[]>((resolve, reject) => {
      call.on('data', (msg) => resolve((msg.listServicesResponse?.service ?? []).map((s: { name: string }) => s.name)));
      call.on('error', reject);
    });
    call.write({ listServices: '' });
    const names = await answer;
    call.end();
    refl.close();
    expect(names).to.include('teamhub.machine.v1.MachineService');
  });

  it('when server reflection is off (the default, TEAMHUB_GRPC_REFLECTION unset), then it is refused UNIMPLEMENTED and nothing is listed', async () => {
    const plain = buildGrpcServer({ healthName: 'teamhub.machine.v1.MachineService', internalSecret: SECRET, log, services: [service(MachineServiceService, echoHandlers() as never)], reflectionProtos: [] });
    const plainPort = await plain.listen('127.0.0.1:0');
    const file = createRequire(import.meta.url).resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
    const Client = (grpc.loadPackageDefinition(protoLoader.loadSync(file, { includeDirs: [path.dirname(file)] })) as any).grpc.reflection.v1.ServerReflection as typeof grpc.Client;
    const refl = new Client(`127.0.0.1:${plainPort}`, grpc.credentials.createInsecure()) as grpc.Client & { serverReflectionInfo: () => grpc.ClientDuplexStream<unknown, unknown> };
    try {
      const call = refl.serverReflectionInfo();
      const outcome = new Promise<{ code?: number; listed: boolean }>((resolve) => {
        call.on('data', () => resolve({ listed: true }));
        call.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, listed: false }));
      });
      call.write({ listServices: '' });
      expect(await outcome).to.deep.equal({ code: grpc.status.UNIMPLEMENTED, listed: false });
      // The service itself still answers on that server.
      const served = new RpcClient(MachineServiceService, `127.0.0.1:${plainPort}`, { internalSecret: SECRET });
      expect((await served.call('getMachine', { namespace: 'alice', id: 'm1' }, { namespace: 'alice' as Namespace })).machine?.id).to.equal('m1');
      served.close();
    } finally {
      refl.close();
      await plain.stop(1000);
    }
  });

  it('when the server is unreachable, then the client fails with unavailable quickly', async () => {
    const dead = new RpcClient(MachineServiceService, '127.0.0.1:1', { internalSecret: SECRET });
    const started = Date.now();
    const err = await dead.call('getMachine', { namespace: 'a', id: 'x' }, { namespace: 'a' as Namespace }).catch((e) => e);
    dead.close();
    expect(err.code).to.equal('unavailable');
    expect(Date.now() - started).to.be.below(1000);
  });
});
