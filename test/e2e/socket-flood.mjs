// A misbehaving CLI socket in its own process, so the test process that measures another
// namespace's latency is not the one busy building the flood. It connects to `/cli` as the hapi
// CLI does, sends one flood, waits until the hub has answered every part of it, and prints one
// JSON line: {refusals, first, connected}. The token comes from the environment (CLI_TOKEN).
//   node socket-flood.mjs <url> <sessionId> rpc-register <count> <refusal answers to wait for>
//   node socket-flood.mjs <url> <sessionId> messages-consumed <ids>
import { io } from 'socket.io-client';

const [url, sessionId, mode, countText, expectedText] = process.argv.slice(2);
const count = Number(countText);
const socket = io(`${url}/cli`, {
  path: '/socket.io/',
  transports: ['websocket'],
  reconnection: false,
  auth: { token: process.env.CLI_TOKEN, clientType: 'session-scoped', sessionId },
});
const errors = [];
socket.on('error', (e) => errors.push(e));
const finish = () => {
  process.stdout.write(`${JSON.stringify({ refusals: errors.length, first: errors[0], last: errors[errors.length - 1], connected: socket.connected })}\n`);
  socket.close();
  process.exit(0);
};
socket.on('connect_error', (err) => {
  process.stdout.write(`${JSON.stringify({ connectError: err.message })}\n`);
  process.exit(1);
});
socket.on('connect', () => {
  process.stdout.write(`${JSON.stringify({ connected: true })}\n`);
  if (mode === 'rpc-register') {
    const expected = Number(expectedText);
    for (let i = 0; i < count; i++) socket.emit('rpc-register', { method: `${sessionId}:method-${i}` });
    const timer = setInterval(() => {
      if (errors.length >= expected) {
        clearInterval(timer);
        // A ping after the flood: every registration before it has been handled.
        socket.timeout(60_000).emit('ping', () => finish());
      }
    }, 50);
  } else {
    const localIds = Array.from({ length: count }, (_, i) => i.toString(36));
    socket.emit('messages-consumed', { sid: sessionId, localIds });
    const timer = setInterval(() => {
      if (errors.length >= 1) {
        clearInterval(timer);
        finish();
      }
    }, 50);
  }
});
