/** What the bench and its socket load workers say to each other over the child-process IPC channel. */

/** One CLI socket to open: session-scoped, for `sid`, with a namespace token, on one gateway. */
export interface SocketTarget {
  url: string;
  sid: string;
  token: string;
}

export type ToWorker =
  | { type: 'connect'; targets: SocketTarget[]; concurrency: number; rpcMethods: number }
  /** Agent `message` events per second from this worker, spread over its sockets. */
  | { type: 'rate'; perSec: number }
  /**
   * Store `perSession` agent messages in every session of this worker through its sockets, `batch`
   * at a time per session, `lanes` sessions at once; a batch is done when the web API shows its
   * last seq (the socket `message` event has no ack, so this is the only backpressure).
   */
  | { type: 'seed'; url: string; jwts: Record<string, string>; perSession: number; batch: number; lanes: number }
  /** Closes every socket; with `end`, first sends `session-end` on each, as a CLI that exits normally does. */
  | { type: 'disconnect'; end: boolean }
  | { type: 'exit' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'connected'; ok: number; failedSids: string[]; firstError?: string; ms: number }
  /** A `new-message` update with a probe's localId arrived on a socket (monotonic µs). */
  | { type: 'update'; localId: string; atUs: number }
  | { type: 'seed-progress'; messages: number }
  | { type: 'seeded'; messages: number; ms: number }
  | { type: 'disconnected' }
  | { type: 'failed'; message: string };

/** Probe messages carry this localId prefix, so workers report exactly those updates. */
export const PROBE_PREFIX = 'probe-';

/** The session's namespace is the token's `:name` suffix (HAPI's grammar: split on the last colon). */
export const namespaceOf = (token: string) => token.slice(token.lastIndexOf(':') + 1);

/**
 * An agent output message as the hapi CLI sends it (`sendAgentMessage`: role agent, content
 * `{type:'output', data}`, meta sentFrom cli), with an assistant turn of about 600 bytes.
 */
export function agentMessage(sid: string, n: number): { sid: string; message: unknown } {
  return {
    sid,
    message: {
      role: 'agent',
      content: {
        type: 'output',
        data: {
          type: 'assistant',
          uuid: `${sid.slice(0, 8)}-${n}`,
          message: {
            role: 'assistant',
            model: 'bench-model',
            content: [{ type: 'text', text: `Step ${n}: ${'the agent reports progress on the task at hand; '.repeat(10)}` }],
            usage: { input_tokens: 1200 + n, output_tokens: 80 },
          },
        },
      },
      meta: { sentFrom: 'cli' },
    },
  };
}

/** RPC methods a real session registers on connect (a subset of the hapi CLI's list). */
export const SESSION_RPC_METHODS = [
  'abort', 'switch', 'permission', 'killSession', 'set-session-config', 'readFile', 'listDirectory', 'ripgrep', 'git-status', 'git-diff-numstat',
  'git-diff-file', 'statFiles', 'uploadFile', 'deleteUpload', 'listSlashCommands', 'listSkills', 'handoff-local', 'fork-conversation', 'rewind-conversation', 'steer-queued-message',
];
