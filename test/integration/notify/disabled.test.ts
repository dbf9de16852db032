import { expect } from 'chai';
import type { Namespace } from '../../../lib/namespace.js';
import { waitFor } from '../../helpers/ports.js';
import { startTelegramHub, type TelegramHub } from './harness.js';

describe('telegram bot: TELEGRAM_NOTIFICATION=false', function () {
  this.timeout(60_000);
  let hub: TelegramHub;

  before(async () => {
    hub = await startTelegramHub({ replicas: 1, env: { TELEGRAM_NOTIFICATION: 'false' } });
    await hub.bind(5101, 'alice');
  });
  after(async () => {
    await hub?.stop();
  });

  it('when notifications are off, then a permission request sends nothing, while /start still answers', async () => {
    const scope = { namespace: 'alice' as Namespace };
    const created = await hub.sessions.call('createOrLoadSession', { namespace: 'alice', tag: 'off', metadataJson: JSON.stringify({ path: '/p', host: 'h' }), agentStateJson: '{}' }, scope);
    const id = created.session!.id;
    await hub.sessions.call('setSessionActive', { namespace: 'alice', id, active: true, at: Date.now() }, scope);
    await hub.sessions.call('updateAgentState', { namespace: 'alice', id, expectedVersion: created.session!.agentStateVersion, json: JSON.stringify({ requests: { r1: { tool: 'Bash' } } }) }, scope);
    // /start is handled after the events above were published: its answer is the barrier.
    hub.stub.pushUpdate({ message: { message_id: 1, chat: { id: 5101, type: 'private' }, from: { id: 5101 }, text: '/start' } });
    await waitFor(() => hub.stub.calls('sendMessage').length > 0, { timeoutMs: 10_000, what: '/start reply' });
    await new Promise((r) => setTimeout(r, 400));
    expect(hub.stub.calls('sendMessage').map((c) => c.body.text)).to.deep.equal(['Welcome to teamhub! Use the Mini App for full session management.']);
  });
});
