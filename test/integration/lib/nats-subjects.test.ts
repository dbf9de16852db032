import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { entitySubject, namespaceWildcard, entityWildcard } from '../../../lib/nats/subjects.js';
import { checkedPayload } from '../../../lib/nats/connection.js';
import { EntityEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import { sessionIdOf } from '../../../lib/events/entity-event.js';

/** A typed event about session `id` (its removal: the smallest change that names a session). */
const removed = (namespace: string, id: string) => EntityEvent.fromPartial({ namespace, change: { $case: 'sessionRemoved', sessionRemoved: { sessionId: id } } });
import { createRootLogger } from '../../../lib/logger.js';
import type { Namespace } from '../../../lib/namespace.js';

// Names chosen to break naive subject building: separators, wildcards, whitespace, long unicode.
const NAMESPACES = ['a', 'a.b', '*', '>', ' x', '🙂ü'.repeat(10).slice(0, 21) + 'é'.repeat(10)] as Namespace[];

describe('NATS subjects per namespace (real nats-server)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  const log = createRootLogger('test', 'silent');

  before(async () => {
    server = await startNats();
    nc = await connect({ servers: server.url });
  });
  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('when the 64-byte unicode name is used, then it really is about 64 bytes', () => {
    expect(Buffer.byteLength(NAMESPACES[5]!, 'utf8')).to.be.within(60, 64);
  });

  it('when an event is published for one namespace, then only subscribers of that namespace receive it', async () => {
    const received = new Map<string, string[]>(NAMESPACES.map((ns) => [ns, []]));
    const subs = NAMESPACES.map((ns) => {
      const sub = nc.subscribe(namespaceWildcard(ns));
      void (async () => {
        for await (const m of sub) {
          const ev = checkedPayload(m.subject, m.data, (b) => EntityEvent.decode(b), ns, log);
          if (ev) received.get(ns)!.push(sessionIdOf(ev)!);
        }
      })();
      return sub;
    });
    await nc.flush();
    for (const ns of NAMESPACES) {
      nc.publish(entitySubject(ns, 'session', `id-for-${ns}`, 'removed'), EntityEvent.encode(removed(ns, `id-for-${ns}`)).finish());
    }
    await nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    for (const ns of NAMESPACES) {
      expect(received.get(ns), JSON.stringify(ns)).to.deep.equal([`id-for-${ns}`]);
    }
    subs.forEach((s) => s.unsubscribe());
  });

  it('when a payload claims another namespace than its subject, then the receiver drops it', async () => {
    const alice = 'alice' as Namespace;
    const sub = nc.subscribe(entityWildcard(alice, 'session'));
    const got: string[] = [];
    void (async () => {
      for await (const m of sub) {
        const ev = checkedPayload(m.subject, m.data, (b) => EntityEvent.decode(b), alice, log);
        if (ev) got.push(sessionIdOf(ev)!);
      }
    })();
    await nc.flush();
    nc.publish(entitySubject(alice, 'session', 'forged', 'removed'), EntityEvent.encode(removed('bob', 'forged')).finish());
    nc.publish(entitySubject(alice, 'session', 'genuine', 'removed'), EntityEvent.encode(removed('alice', 'genuine')).finish());
    await nc.flush();
    await new Promise((r) => setTimeout(r, 150));
    expect(got).to.deep.equal(['genuine']);
    sub.unsubscribe();
  });

  it('when an id contains subject syntax, then it stays inside one token', () => {
    const subject = entitySubject('a' as Namespace, 'machine', 'm.*.>', 'upserted');
    expect(subject.split('.')).to.have.length(5);
    expect(() => entitySubject('a' as Namespace, 'machine', 'm', 'bad.event' as never)).to.throw();
  });
});
