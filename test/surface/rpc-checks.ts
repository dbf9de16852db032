import { expect } from 'chai';
import { RPC_METHODS } from './hapi-rpc-methods.js';
import { expectBody } from './route-runner.js';
import type { World } from './world.js';

/*
 * Checks of the RPC table (hapi-rpc-methods.ts) beyond the per-route relay checks: the one method
 * no route sends directly, and a sweep over everything the stand-ins received.
 */

export const RPC_CHECKS: Array<{ title: string; run: (w: World) => Promise<void> }> = [
  {
    title: 'stop-session: when spawning a fork fails, the hub asks the runner to stop the child and deletes it',
    run: async (w) => {
      const machine = await w.machine('fork-fails');
      machine.standIn.onRpc('spawn-happy-session', () => ({ type: 'error', errorMessage: 'claude is not installed or is not on PATH', code: 'agent_unavailable', agent: 'claude' }));
      const src = await w.session('fork-fails-src', { machine: 'fork-fails', metadata: { capabilities: { conversationHistory: { forkCurrent: true } } } });
      const r = await w.request('web', 'POST', `/api/sessions/${src.id}/fork`);
      expect(r.status, r.text).to.equal(409);
      expect(r.json).to.deep.equal({ error: 'claude is not installed or is not on PATH' });
      const stop = await machine.standIn.waitRpc('stop-session');
      const spawn = await machine.standIn.waitRpc('spawn-happy-session');
      expect(stop.params).to.deep.equal({ sessionId: (spawn.params as { existingSessionId: string }).existingSessionId });
      const child = await w.request('web', 'GET', `/api/sessions/${(spawn.params as { existingSessionId: string }).existingSessionId}`);
      expect(child.status, 'the failed child is deleted').to.equal(404);
    },
  },
  {
    title: 'every one of the 49 methods reached a stand-in during the run, named `<id>:<method>`, with params of the table\'s schema',
    run: async (w) => {
      const all = await w.allStandIns();
      const received = all.flatMap((s) => s.rpcs.map((r) => ({ scope: s.scope, ...r, owner: s.id })));
      const missing: string[] = [];
      for (const spec of RPC_METHODS) {
        const calls = received.filter((r) => r.scope === spec.scope && r.method === spec.method);
        if (calls.length === 0) {
          missing.push(`${spec.scope}:${spec.method}`);
          continue;
        }
        for (const c of calls) {
          expectBody(c.params, spec.params, `${spec.scope}:${spec.method} params`);
          expect(c.fullMethod.endsWith(`:${spec.method}`)).to.equal(true);
        }
      }
      expect(missing, 'methods no stand-in received').to.deep.equal([]);
    },
  },
];
