/**
 * Who may do what on the local hub's NATS: one NATS user per kind of process, each allowed only
 * the subjects its code uses, written into a generated nats-server configuration with fresh
 * passwords at every start (`make run`). A client without a user gets nothing: nats-server
 * refuses the connection.
 *
 * The application subjects are what isolation rests on, so they are tight: only the session
 * service publishes session and message events, only the machine service machine events, only
 * the gateway and the notify service (Web Push and the Telegram bot) read them, RPC requests
 * (which make a runner spawn an agent) are published by the gateway and the notify service's bot
 * only, and only the gateway answers them (RPCs, toasts for its visible pages, room questions). JetStream and
 * KV management (`$JS.API.…`, `$KV.…`) is allowed to the processes that use streams, except the
 * calls that delete or purge one.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUS_MAX_PAYLOAD_BYTES } from '../lib/limits.js';
import { BACKUP_INBOX_PREFIX } from '../lib/ops/hub-state.js';
import { KEPT_BUCKETS } from '../lib/ops/nats-kv.js';

export interface BusAccess {
  publish: string[];
  subscribe: string[];
}

/** Request replies, JetStream API answers and ordered-consumer deliveries all arrive on inboxes. */
const INBOX = '_INBOX.>';
/**
 * The gateway answers requests (RPCs, toasts, room questions) by publishing to the asker's inbox.
 * It is allowed the inboxes outright rather than nats-server's `allow_responses`: with that
 * option, nats-server 2.9 remembers, for two minutes, the reply subject of every message it
 * delivers to the user, and once it holds more than a few thousand it walks all of them on each
 * delivery. Every event the gateway reads carries a reply subject (the publisher's stream-ack inbox
 * on the room subjects, the consumer's ack subject on stream deliveries), so after a burst of agent
 * messages nats-server spent a whole core walking that table (bench/PROFILE.md).
 */
const ANSWERS = '_INBOX.>';
/** Creating, updating and reading the stream a service publishes events into. */
const STREAM_UPKEEP = ['$JS.API.INFO', '$JS.API.STREAM.NAMES', '$JS.API.STREAM.INFO.*', '$JS.API.STREAM.CREATE.*', '$JS.API.STREAM.UPDATE.*'];
/** Consumers, direct gets, KV buckets, acks and flow control: what reading streams and KV takes. */
const STREAM_READ = ['$JS.API.>', '$KV.>', '$JS.ACK.>', '$JS.FC.>'];
const NO_DESTRUCTION = ['$JS.API.STREAM.DELETE.>', '$JS.API.STREAM.PURGE.>', '$JS.API.STREAM.MSG.DELETE.>'];

const ENTITY_EVENTS = ['teamhub.*.session.>', 'teamhub.*.message.>', 'teamhub.*.machine.>'];
const RPC = 'teamhub.*.rpc.>';
const HUB = 'teamhub._hub.>';
/** Web terminal frames between gateway replicas (to the replica holding a session's CLI, and back). */
const TERMINAL = ['teamhub.*.terminal.>', 'teamhub.*.tty.>'];
/** Object store chunks and metadata: large RPC payloads the gateway parks for another replica. */
const OBJECTS = '$O.>';
/** A toast for the visible pages one gateway replica holds: the notify service asks, that replica answers. */
const TOAST = 'teamhub.*.toast.>';
/** A question to the CLI sockets of a session room, asked and answered between gateway replicas. */
const ROOM = 'teamhub.*.room.>';
/** The session events the notify service turns into notifications (in its queue group). */
const NOTIFIABLE_EVENTS = ['teamhub.*.session.*.upserted', 'teamhub.*.session.*.ended', 'teamhub.*.message.*.appended'];

/**
 * Reading a KV bucket and nothing more: its stream's info, an ephemeral consumer over its keys
 * (created and asked about), and its entries one by one.
 */
const readBucket = (bucket: string) => [
  `$JS.API.STREAM.INFO.KV_${bucket}`,
  `$JS.API.CONSUMER.CREATE.KV_${bucket}.>`,
  `$JS.API.CONSUMER.INFO.KV_${bucket}.*`,
  `$JS.API.STREAM.MSG.GET.KV_${bucket}`,
];

export const BUS_ACCESS = {
  auth: { publish: [HUB], subscribe: [INBOX] },
  session: { publish: ['teamhub.*.session.>', 'teamhub.*.message.>', ...STREAM_UPKEEP], subscribe: [INBOX] },
  machine: { publish: ['teamhub.*.machine.>', ...STREAM_UPKEEP], subscribe: [INBOX] },
  // KV: its once-marks and Telegram offset (teamhub_telegram), cool-downs, the poller's lease, and
  // the gateways' SSE stream registry (read: which pages are visible).
  notify: { publish: [RPC, TOAST, ...STREAM_READ], subscribe: [...NOTIFIABLE_EVENTS, INBOX] },
  gateway: { publish: [RPC, ...TERMINAL, ROOM, OBJECTS, ANSWERS, ...STREAM_READ], subscribe: [...ENTITY_EVENTS, RPC, ...TERMINAL, TOAST, ROOM, HUB, INBOX] },
  // Not a process: `teamhub backup` on a running hub reads the kept KV buckets with it
  // (lib/ops/backup.ts), on replies to an inbox prefix of its own.
  backup: { publish: KEPT_BUCKETS.flatMap(readBucket), subscribe: [`${BACKUP_INBOX_PREFIX}.>`] },
} as const satisfies Record<string, BusAccess>;

export interface BusCredentials {
  /** The nats-server configuration file (`nats-server -c`). */
  configFile: string;
  /** Per user: the file holding its password (TEAMHUB_NATS_PASSWORD_FILE). */
  passwordFiles: Map<string, string>;
}

const quoted = (s: string) => JSON.stringify(s);

function userBlock(user: string, password: string, access: BusAccess): string {
  const list = (xs: readonly string[]) => `[${xs.map(quoted).join(', ')}]`;
  const lines = [
    `    {`,
    `      user: ${quoted(user)}`,
    `      password: ${quoted(password)}`,
    `      permissions: {`,
    `        publish: { allow: ${list(access.publish)}, deny: ${list(NO_DESTRUCTION)} }`,
    `        subscribe: { allow: ${list(access.subscribe)} }`,
  ];
  lines.push('      }', '    }');
  return lines.join('\n');
}

/** The configuration text: one user per entry of `users`, and a payload large enough for the largest event. */
export function busConfig(users: ReadonlyMap<string, { password: string; access: BusAccess }>): string {
  const blocks = [...users].map(([user, u]) => userBlock(user, u.password, u.access));
  return [
    '# Written by the teamhub launcher at every start; the passwords change each time.',
    `max_payload: ${BUS_MAX_PAYLOAD_BYTES}`,
    'authorization {',
    '  users: [',
    blocks.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/**
 * Writes fresh credentials for `users` (process name → access) under `dir` (made 0700): the
 * server configuration and one password file per user, all 0600.
 */
export function writeBusCredentials(dir: string, users: ReadonlyMap<string, BusAccess>): BusCredentials {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const withPasswords = new Map<string, { password: string; access: BusAccess }>();
  const passwordFiles = new Map<string, string>();
  for (const [user, access] of users) {
    const password = randomBytes(24).toString('base64url');
    const file = path.join(dir, `${user}.password`);
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    withPasswords.set(user, { password, access });
    passwordFiles.set(user, file);
  }
  const configFile = path.join(dir, 'nats-server.conf');
  writeFileSync(configFile, busConfig(withPasswords), { mode: 0o600 });
  chmodSync(configFile, 0o600);
  return { configFile, passwordFiles };
}
