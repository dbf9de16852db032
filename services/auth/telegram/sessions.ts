import { RpcClient } from '../../../lib/grpc/client.js';
import { SessionServiceService, type Session } from '../../../lib/gen/teamhub/session/v1/session.js';
import { fromJsonText } from '../../../lib/json.js';
import type { Namespace } from '../../../lib/namespace.js';
import { asObject, type SessionView } from './views.js';

/** Read access to sessions, always inside one namespace. */
export interface SessionDirectory {
  list(ns: Namespace): Promise<SessionView[]>;
  get(ns: Namespace, id: string): Promise<SessionView | null>;
  close(): void;
}

function parse(text: string | undefined): Record<string, unknown> | null {
  try {
    return asObject(fromJsonText(text));
  } catch {
    return null;
  }
}

function toView(s: Session): SessionView {
  return { id: s.id, active: s.active, metadata: parse(s.metadataJson), agentState: parse(s.agentStateJson) };
}

/** The session service over gRPC, with the namespace in call metadata. */
export class GrpcSessionDirectory implements SessionDirectory {
  private readonly client: RpcClient<typeof SessionServiceService>;

  constructor(addr: string, internalSecret: string) {
    this.client = new RpcClient(SessionServiceService, addr, { internalSecret, deadlineMs: 5_000 });
  }

  async list(ns: Namespace): Promise<SessionView[]> {
    const res = await this.client.call('listSessions', { namespace: ns }, { namespace: ns });
    return res.sessions.map(toView);
  }

  async get(ns: Namespace, id: string): Promise<SessionView | null> {
    try {
      const res = await this.client.call('getSession', { namespace: ns, id }, { namespace: ns });
      return res.session ? toView(res.session) : null;
    } catch (err) {
      if ((err as { code?: string }).code === 'not_found') return null;
      throw err;
    }
  }

  close(): void {
    this.client.close();
  }
}
