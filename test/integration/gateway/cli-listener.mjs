// A CLI socket in its own process, for tests that count what the hub process does: it connects to
// `/cli` the way the hapi CLI does (websocket, auth {token, clientType, sessionId}) and prints one
// JSON line per event. The token comes from the environment (CLI_TOKEN), never the command line.
//   node cli-listener.mjs <url> <sessionId>
import { io } from 'socket.io-client';

const [url, sessionId] = process.argv.slice(2);
const socket = io(`${url}/cli`, {
  path: '/socket.io/',
  transports: ['websocket'],
  reconnection: false,
  auth: { token: process.env.CLI_TOKEN, clientType: 'session-scoped', sessionId },
});
const say = (event, data) => process.stdout.write(`${JSON.stringify({ event, data })}\n`);
// Like the hapi CLI: a heartbeat as soon as it is connected, which makes the session active.
socket.on('connect', () => {
  socket.emit('session-alive', { sid: sessionId, time: Date.now(), thinking: false });
  say('connect');
});
socket.on('connect_error', (err) => say('connect_error', err.message));
socket.on('update', (u) => say('update', u));
socket.on('error', (e) => say('error', e));
