import { expect } from 'chai';
import { HAPI_ROUTES } from './hapi-routes.js';
import { RPC_METHODS } from './hapi-rpc-methods.js';
import { CLI_EMITTED_EVENTS, CLI_HANDLED_EVENTS, TERMINAL_HANDLED_EVENTS } from './hapi-socket-events.js';
import { SSE_EVENTS } from './hapi-sse-events.js';
import { hapiDeclaredRoutes, hapiRelayedRpcMethods, hapiSocketHandlers, hapiSyncEventTypes } from './hapi-source.js';
import { exerciseRoute } from './route-runner.js';
import { routeId } from './routes/types.js';
import { RPC_CHECKS } from './rpc-checks.js';
import { SOCKET_CHECKS } from './socket-checks.js';
import { SSE_CHECKS, openStreams, type Streams } from './sse-checks.js';
import { startSurfaceHub, type SurfaceHub } from './surface-hub.js';
import { World } from './world.js';

/*
 * HAPI 0.30.7's whole client surface, checked against a running hub: SURFACE_HUB=hapi (default,
 * the real HAPI hub from npm) proves the tables in this folder right; SURFACE_HUB=teamhub checks
 * teamhub against them. Run: `npx mocha test/surface/hapi-reference.test.ts`.
 */

const CLI_HANDLER_MODULES = ['sessionHandlers', 'machineHandlers', 'rpcHandlers', 'terminalHandlers', 'index'].map((m) => `hub/src/socket/handlers/cli/${m}.ts`);

describe(`surface: HAPI 0.30.7's client surface against ${process.env.SURFACE_HUB ?? 'hapi'}`, function () {
  this.timeout(60_000);
  let hub: SurfaceHub;
  let w: World;
  let streams: Streams;

  before(async function () {
    this.timeout(120_000);
    hub = await startSurfaceHub();
    w = await World.create(hub);
    streams = await openStreams(w);
  });
  after(async () => {
    await w?.close();
    await hub?.stop();
  });

  describe('the tables against HAPI\'s source', () => {
    it('when the route table is compared with the routes the hub declares, then it lists each of the 128 exactly once', () => {
      const declared = hapiDeclaredRoutes().sort();
      const listed = HAPI_ROUTES.map(routeId).sort();
      expect(new Set(listed).size, 'duplicate entries').to.equal(listed.length);
      expect(listed.filter((r) => !declared.includes(r)), 'entries HAPI does not declare').to.deep.equal([]);
      expect(declared.filter((r) => !listed.includes(r)), 'routes HAPI declares that the table lacks').to.deep.equal([]);
      expect(listed).to.have.length(128);
    });

    it('when the RPC table is compared with what the hub relays, then it has the same 49 scope:method pairs', () => {
      const relayed = hapiRelayedRpcMethods().sort();
      expect(RPC_METHODS.map((m) => `${m.scope}:${m.method}`).sort()).to.deep.equal(relayed);
      expect(relayed).to.have.length(49);
    });

    it('when the socket tables are compared with the handlers, then they list the 23 /cli and 8 /terminal events handled and 15 emitted', () => {
      const cli = CLI_HANDLER_MODULES.flatMap((m) => hapiSocketHandlers(m)).sort();
      expect(CLI_HANDLED_EVENTS.map((e) => e.event).sort()).to.deep.equal(cli);
      expect(cli).to.have.length(23);
      expect(TERMINAL_HANDLED_EVENTS.map((e) => e.event).sort()).to.deep.equal(hapiSocketHandlers('hub/src/socket/handlers/terminal.ts').sort());
      expect(CLI_EMITTED_EVENTS).to.have.length(15);
    });

    it('when the SSE table is compared with SyncEventSchema, then it has the same 16 types', () => {
      expect(SSE_EVENTS.map((e) => e.type)).to.deep.equal(hapiSyncEventTypes());
      expect(SSE_EVENTS).to.have.length(16);
    });
  });

  describe('HTTP routes: valid request, every provokable error, the second namespace', () => {
    for (const spec of HAPI_ROUTES) {
      it(`${routeId(spec)}`, async function () {
        try {
          await exerciseRoute(w, spec);
        } catch (err) {
          (err as Error).message += `\n--- hub output (tail) ---\n${hub.output().slice(-1500)}`;
          throw err;
        }
      });
    }
  });

  describe('Socket.IO /cli and /terminal', () => {
    for (const check of SOCKET_CHECKS) it(check.title, () => check.run(w));
  });

  describe('RPC relay', () => {
    for (const check of RPC_CHECKS) it(check.title, () => check.run(w));
  });

  describe('SSE /api/events', () => {
    for (const check of SSE_CHECKS) it(check.title, () => check.run(w, streams));
  });
});
