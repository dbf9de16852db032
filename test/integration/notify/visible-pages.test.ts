import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { ToastRequest } from '../../../lib/gen/teamhub/notify/v1/notify.js';
import { parseNamespace, type Namespace } from '../../../lib/namespace.js';
import { encodeStreamEntry, SSE_STREAMS_BUCKET, streamKey } from '../../../lib/nats/sse-stream-registry.js';
import { SseStreamRegistry } from '../../../gateway/live/sse/stream-registry.js';
import { VisiblePages } from '../../../services/notify/visible-pages.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/ports.js';
import { silentLog, testContext } from '../../unit/call-context.js';

const alice = parseNamespace('alice');
const bob = parseNamespace('bob');
const TTL_MS = 1500;
const toast = { title: 'Permission Request', body: 'fix (Bash)', sessionId: 's1', url: '/sessions/s1' };

/**
 * The SSE stream registry between two gateway replicas and the notifier, on a real nats-server:
 * which streams are visible, visibility changed from either replica, toasts answered by the
 * replica holding the page, and the entries of a replica that stopped vanishing with the TTL.
 */
describe('notify: visible pages across gateway replicas (NATS KV registry, toast request/reply)', function () {
  this.timeout(30_000);
  let nats: NatsServer;
  let nc: NatsConnection;
  let a: SseStreamRegistry;
  let b: SseStreamRegistry;
  let pages: VisiblePages;
  const delivered: Array<{ replica: string; ns: Namespace; ids: string[]; toast: ToastRequest }> = [];
  const holding = new Map<string, Set<string>>([
    ['gw-a', new Set()],
    ['gw-b', new Set()],
  ]);
  // A replica writes the toast to the named streams it holds, as the SSE hub does.
  const deliverer = (replica: string) => (ns: Namespace, ids: string[], t: ToastRequest) => {
    delivered.push({ replica, ns, ids, toast: t });
    return ids.filter((id) => holding.get(replica)!.has(`${ns}/${id}`)).length;
  };
  const open = async (reg: SseStreamRegistry, replica: string, ns: Namespace, id: string, visible: boolean) => {
    holding.get(replica)!.add(`${ns}/${id}`);
    await reg.opened(ns, id, visible);
  };

  before(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    a = await SseStreamRegistry.start(nc, 'gw-a', TTL_MS, deliverer('gw-a'), silentLog);
    b = await SseStreamRegistry.start(nc, 'gw-b', TTL_MS, deliverer('gw-b'), silentLog);
    pages = new VisiblePages(nc, 1000);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await nc?.close();
    await nats?.stop();
  });
  beforeEach(() => {
    delivered.length = 0;
  });

  it('when alice has a visible page on one replica and a hidden one on the other, then only the visible one is asked and shows the toast', async () => {
    await open(a, 'gw-a', alice, 'sub-a1', true);
    await open(b, 'gw-b', alice, 'sub-b1', false);
    await open(b, 'gw-b', bob, 'sub-bob', true);
    expect(Object.fromEntries(await pages.visibleStreams(testContext('alice')))).to.deep.equal({ 'gw-a': ['sub-a1'] });
    expect(await pages.toast(testContext('alice'), toast)).to.equal(1);
    expect(delivered.map((d) => [d.replica, d.ns, d.ids])).to.deep.equal([['gw-a', 'alice', ['sub-a1']]]);
    expect(delivered[0]!.toast).to.deep.include(toast);
  });

  it('when alice\'s page on replica B becomes visible through replica A, then both pages show the next toast', async () => {
    expect(await a.setVisibility(alice, 'sub-b1', true)).to.equal(true);
    expect(await pages.toast(testContext('alice'), toast)).to.equal(2);
    expect(delivered.map((d) => d.replica).sort()).to.deep.equal(['gw-a', 'gw-b']);
  });

  it('when bob names alice\'s subscription id, then it is not found and alice\'s page stays visible', async () => {
    expect(await b.setVisibility(bob, 'sub-a1', false)).to.equal(false);
    expect(await a.setVisibility(bob, 'sub-b1', false)).to.equal(false);
    expect(await a.setVisibility(alice, 'not.a.key*', false)).to.equal(false);
    expect(Object.fromEntries(await pages.visibleStreams(testContext('alice')))).to.deep.equal({ 'gw-a': ['sub-a1'], 'gw-b': ['sub-b1'] });
    // bob's own visible page is all a toast for bob reaches
    expect(await pages.toast(testContext('bob'), toast)).to.equal(1);
    expect(delivered.map((d) => [d.replica, d.ns, d.ids])).to.deep.equal([['gw-b', 'bob', ['sub-bob']]]);
  });

  it('when the pages close or are hidden, then no replica is asked and the toast shows nowhere (the notifier pushes)', async () => {
    await a.closed(alice, 'sub-a1');
    expect(await b.setVisibility(alice, 'sub-b1', false)).to.equal(true);
    expect(await pages.toast(testContext('alice'), toast)).to.equal(0);
    expect(delivered).to.deep.equal([]);
    expect(await a.setVisibility(alice, 'sub-a1', true), 'a closed stream is not found').to.equal(false);
  });

  it('when a replica died with a visible page, then the toast asked of it counts as not shown, and its entry lapses with the TTL while live ones are kept', async () => {
    const kv = await new Kvm(nc).open(SSE_STREAMS_BUCKET);
    await open(a, 'gw-a', alice, 'sub-live', true);
    await kv.put(streamKey(alice, 'sub-ghost'), encodeStreamEntry({ replica: 'gw-dead', visible: true }));
    const started = Date.now();
    expect(await pages.toast(testContext('alice'), toast)).to.equal(1);
    expect(Date.now() - started, 'the dead replica is waited for at most the timeout').to.be.lessThan(5000);
    await waitFor(async () => !(await pages.visibleStreams(testContext('alice'))).has('gw-dead'), { timeoutMs: 15_000, what: 'the dead replica\'s entry to lapse' });
    // The ghost was entered after sub-live: had sub-live not been refreshed, it would have lapsed first.
    expect(Object.fromEntries(await pages.visibleStreams(testContext('alice')))).to.deep.equal({ 'gw-a': ['sub-live'] });
  });
});
