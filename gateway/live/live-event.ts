import type { EntityEvent } from '../../lib/gen/teamhub/events/v1/events.js';
import type { Namespace } from '../../lib/namespace.js';
import { RenderedEvent } from '../hapi/event-render.js';
import type { StreamPosition } from './sse/event-id.js';

/**
 * One entity event as a gateway replica received it from its namespace's stream: decoded once,
 * rendered at most once per body (SSE and socket), and shared by every SSE stream and socket room
 * of this replica it goes to.
 */
export class LiveEvent {
  private renderedMemo: RenderedEvent | undefined;

  constructor(
    readonly namespace: Namespace,
    readonly position: StreamPosition,
    readonly event: EntityEvent,
  ) {}

  get rendered(): RenderedEvent {
    this.renderedMemo ??= new RenderedEvent(this.event);
    return this.renderedMemo;
  }
}

export type LiveListener = (ev: LiveEvent) => void;
