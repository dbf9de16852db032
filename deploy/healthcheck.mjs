#!/usr/bin/env node
// Container healthcheck with no dependencies beyond Node itself.
//   node deploy/healthcheck.mjs grpc <host:port>   grpc.health.v1.Health/Check for "" is SERVING
//   node deploy/healthcheck.mjs http <url>         answers 2xx (the gateway's /health)
// Exit 0 healthy, 1 not.
import http2 from 'node:http2';

const [kind, target] = process.argv.slice(2);
const fail = (why) => {
  console.error(`unhealthy: ${why}`);
  process.exit(1);
};
setTimeout(() => fail('timed out'), 4000).unref();

if (kind === 'http') {
  const res = await fetch(target).catch((err) => fail(err.message));
  if (!res.ok) fail(`HTTP ${res.status}`);
  process.exit(0);
} else if (kind === 'grpc') {
  // HealthCheckRequest{service:""} is an empty message: a 5-byte gRPC frame header, no payload.
  const client = http2.connect(`http://${target}`);
  client.on('error', (err) => fail(err.message));
  const req = client.request({
    ':method': 'POST',
    ':path': '/grpc.health.v1.Health/Check',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  const chunks = [];
  req.on('error', (err) => fail(err.message));
  req.on('data', (c) => chunks.push(c));
  req.on('trailers', (t) => {
    if (t['grpc-status'] !== '0') fail(`grpc-status ${t['grpc-status']} ${t['grpc-message'] ?? ''}`);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    // HealthCheckResponse{status=SERVING(1)} = frame header + 0x08 0x01
    if (body.length >= 7 && body[5] === 0x08 && body[6] === 0x01) process.exit(0);
    fail(`not SERVING (${body.toString('hex')})`);
  });
  req.end(Buffer.alloc(5));
} else {
  fail('usage: healthcheck.mjs grpc <host:port> | http <url>');
}
