import { expect } from 'chai';
import { frameCategory, GC, NODE_CORE, shortUrl, stackCategory, workloadOf, type CallFrame } from '../../../bench/profile/categories.js';

const frame = (url: string, functionName = 'f'): CallFrame => ({ functionName, url, lineNumber: 1 });

describe('bench profile categories', () => {
  it('when a frame is in a known library or project folder, then it gets that category', () => {
    expect(frameCategory(frame('node_modules/@grpc/grpc-js/build/src/client.js'))).to.equal('gRPC (grpc-js, http2)');
    expect(frameCategory(frame('node:internal/http2/core'))).to.equal('gRPC (grpc-js, http2)');
    expect(frameCategory(frame('node_modules/@nats-io/nats-core/lib/parser.js'))).to.equal('NATS / JetStream client');
    expect(frameCategory(frame('node_modules/engine.io/build/socket.js'))).to.equal('Socket.IO / engine.io / ws');
    expect(frameCategory(frame('node_modules/pino/lib/proto.js'))).to.equal('pino logging');
    expect(frameCategory(frame('node_modules/better-sqlite3/lib/methods/wrappers.js'))).to.equal('SQLite (better-sqlite3)');
    expect(frameCategory(frame('lib/gen/teamhub/session/v1/session.ts'))).to.equal('protobuf encode/decode');
    expect(frameCategory(frame('gateway/live/room-relay.ts'))).to.equal('app code: gateway');
    expect(frameCategory(frame('dist/gateway/live/room-relay.js'))).to.equal('app code: gateway');
    expect(frameCategory(frame('dist/lib/gen/teamhub/session/v1/session.js'))).to.equal('protobuf encode/decode');
    expect(frameCategory(frame('dist/scripts/log-format.js'))).to.equal('launcher (log piping and formatting)');
    expect(frameCategory(frame('', '(garbage collector)'))).to.equal(GC);
  });

  it('when a frame is Node core or native, then it has no category of its own', () => {
    expect(frameCategory(frame('node:internal/streams/writable'))).to.equal(undefined);
    expect(frameCategory(frame('', 'writeBuffer'))).to.equal(undefined);
  });

  it('when the leaf is generic, then the sample is charged to the nearest caller with a category', () => {
    const stack = [frame('', '(root)'), frame('node_modules/pino/lib/proto.js'), frame('node_modules/sonic-boom/index.js'), frame('node:internal/streams/writable')];
    expect(stackCategory(stack)).to.equal('pino logging');
    expect(stackCategory([frame('', '(root)'), frame('node:net')])).to.equal(NODE_CORE);
  });

  it('when urls come from V8, then project files become repository-relative and packages start at node_modules', () => {
    expect(shortUrl('file:///srv/teamhub/gateway/app.ts', '/srv/teamhub')).to.equal('gateway/app.ts');
    expect(shortUrl('file:///srv/shared/node_modules/fastify/fastify.js', '/srv/teamhub')).to.equal('node_modules/fastify/fastify.js');
    expect(shortUrl('node:net', '/srv/teamhub')).to.equal('node:net');
  });

  it('when bench phases are grouped, then CPU windows and probe windows of a load stay apart', () => {
    expect(workloadOf('heartbeat 2000 20 msg/s cpu')).to.equal('heartbeat 2000 sockets + 20 msg/s');
    expect(workloadOf('heartbeat 2000 20 msg/s probes')).to.equal('heartbeat 2000 sockets + 20 msg/s: web probes + lists');
    expect(workloadOf('heartbeat 500 connect')).to.equal('connect 500 sockets');
    expect(workloadOf('heartbeat 500 activation')).to.equal('connect 500 sockets');
    expect(workloadOf('heartbeat 500 end')).to.equal('sessions ending (session-end, sockets closed)');
    expect(workloadOf('heartbeat 500 20 msg/s warmup')).to.equal('warm-up before a CPU window (message rate just changed)');
    expect(workloadOf('history end')).to.equal('sessions ending (session-end, sockets closed)');
    expect(workloadOf('creates 16 in flight')).to.equal('creates');
    expect(workloadOf('list 300')).to.equal('list/get');
    expect(workloadOf('seed 500000 messages')).to.equal('history: seeding messages');
    expect(workloadOf('history full cpu')).to.equal('history: measured full');
    expect(workloadOf('replicas two 2000 20 msg/s cpu')).to.equal('two gateway replicas');
  });
});
