import { pino } from 'pino';
import type { CallContext, HubCallContext } from '../../lib/context.js';
import type { EventChange } from '../../lib/events/entity-event.js';
import { addressOf, sessionIdOf } from '../../lib/events/entity-event.js';
import type { EventMeta, EventSink } from '../../lib/events/publisher.js';
import { EntityEvent } from '../../lib/gen/teamhub/events/v1/events.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import { RenderedEvent } from '../../gateway/hapi/event-render.js';

export const silentLog = pino({ level: 'silent' });

/** The context a gRPC handler gives the domain for a call in `ns`. */
export function testContext(ns: string, requestId = 'req-test'): CallContext {
  return { namespace: parseNamespace(ns), requestId, log: silentLog };
}

export function testHubContext(requestId = 'req-test'): HubCallContext {
  return { hub: true, requestId, log: silentLog };
}

type Fn = (...args: any[]) => any;
type Rest<F> = F extends (first: any, ...rest: infer A) => any ? A : never;

/**
 * A domain as tests call it: namespaced methods take the caller's namespace first (the adapter
 * gives the domain the context a handler would build for it), `admin*` methods take no context
 * (they get a hub-wide one).
 */
export type ByNamespace<T> = {
  [K in keyof T]: T[K] extends Fn
    ? K extends `admin${string}`
      ? (...args: Rest<T[K]>) => ReturnType<T[K]>
      : (ns: Namespace, ...args: Rest<T[K]>) => ReturnType<T[K]>
    : T[K];
};

export function byNamespace<T extends object>(domain: T): ByNamespace<T> {
  return new Proxy(domain, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const fn = v as Fn;
      if (String(prop).startsWith('admin')) return (...args: unknown[]) => fn.apply(target, [testHubContext(), ...args]);
      return (ns: string, ...args: unknown[]) => fn.apply(target, [testContext(ns), ...args]);
    },
  }) as unknown as ByNamespace<T>;
}

/**
 * A published event as clients see it: the typed change, and what the gateway renders from it
 * (the HAPI SSE event and socket body) in the shape tests read: entity, id, HAPI type.
 */
export interface RecordedEvent {
  ns: Namespace;
  change: EventChange;
  meta: EventMeta;
  input: {
    entity: string;
    entityId: string;
    type: string;
    syncEvent: Record<string, unknown>;
    socketUpdate?: Record<string, unknown>;
    sessionId?: string;
    origin?: string;
  };
}

export function recordEvent(ns: Namespace, change: EventChange, meta: EventMeta, at = 0): RecordedEvent {
  let input: RecordedEvent['input'] | undefined;
  // Rendered on first read, as a gateway would after decoding it (so a test can count the
  // domain's own JSON parses without the renderer's).
  const render = (): RecordedEvent['input'] => {
    const ev: EntityEvent = { namespace: ns, at, origin: meta.origin, requestId: meta.requestId, change };
    const decoded = EntityEvent.decode(EntityEvent.encode(ev).finish());
    const rendered = new RenderedEvent(decoded);
    const sync = rendered.syncEvent ?? {};
    const out: RecordedEvent['input'] = { entity: addressOf(change).entity, entityId: addressOf(change).id, type: String(sync.type), syncEvent: sync };
    const socket = rendered.socketUpdate;
    if (socket) out.socketUpdate = socket;
    const sessionId = sessionIdOf(decoded);
    if (sessionId !== undefined) out.sessionId = sessionId;
    if (meta.origin !== undefined) out.origin = meta.origin;
    return out;
  };
  return {
    ns,
    change,
    meta,
    get input() {
      input ??= render();
      return input;
    },
  };
}

/** Records every published event as clients would see it; `fail` makes publish reject. */
export class RecordingSink implements EventSink {
  events: RecordedEvent[] = [];
  fail = false;

  async publish(ns: Namespace, change: EventChange, meta: EventMeta): Promise<void> {
    if (this.fail) throw new Error('nats down');
    this.events.push(recordEvent(ns, change, meta));
  }

  /** For tests written as `failing = true`. */
  set failing(v: boolean) {
    this.fail = v;
  }

  types(): string[] {
    return this.events.map((e) => e.input.type);
  }

  clear(): void {
    this.events.length = 0;
  }
}
