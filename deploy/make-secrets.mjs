#!/usr/bin/env node
// Generates the credentials NATS and MongoDB run with in docker-compose.yml, once: on the first
// `up` of a stack, before either starts (the compose service "secrets" runs this and exits).
// Existing values are kept, so a restart or a re-run changes nothing. Nothing here is printed.
//
//   /secrets/nats-password        NATS password of the teamhub services (user "teamhub")
//   /secrets/mongo-password       MongoDB password of the teamhub services (user "teamhub")
//   /nats-secrets/route-password  password the NATS nodes use between themselves
//   /nats-secrets/teamhub.conf    the NATS configuration variables built from those two
//   /mongo-secrets/password       MongoDB's copy of the teamhub password (creates the user)
//   /mongo-secrets/keyfile        MongoDB's replica-set key (mongod requires one with --auth)
//
// Each directory is its own volume, so NATS sees only its secrets, MongoDB only its own, and the
// teamhub services only theirs. TEAMHUB_NATS_ROUTE_HOSTS lists the NATS nodes (host:port of each
// cluster port); the routes between them carry the route password, so they are built here.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SERVICES_DIR = process.env.TEAMHUB_SECRETS_DIR || '/secrets';
const NATS_DIR = process.env.TEAMHUB_NATS_SECRETS_DIR || '/nats-secrets';
const MONGO_DIR = process.env.TEAMHUB_MONGO_SECRETS_DIR || '/mongo-secrets';
const ROUTE_HOSTS = (process.env.TEAMHUB_NATS_ROUTE_HOSTS || '').split(',').map((s) => s.trim()).filter(Boolean);

function fail(message) {
  console.error(`make-secrets: ${message}`);
  process.exit(1);
}

/** Writes through a temporary file and a rename, so a reader never sees half a secret. */
function writeAtomic(file, content, mode) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, file);
}

/** The file's value, generated (url-safe base64, so it needs no quoting anywhere) when missing. */
function keep(file, bytes = 24) {
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value) return { value, created: false };
  }
  const value = randomBytes(bytes).toString('base64url');
  writeAtomic(file, `${value}\n`, 0o600);
  return { value, created: true };
}

/** Copies `value` to `file` unless it already holds it. */
function mirror(file, value) {
  if (existsSync(file) && readFileSync(file, 'utf8').trim() === value) return false;
  writeAtomic(file, `${value}\n`, 0o600);
  return true;
}

for (const host of ROUTE_HOSTS) {
  if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(host)) fail(`TEAMHUB_NATS_ROUTE_HOSTS entry ${JSON.stringify(host)} is not host:port`);
}
for (const dir of [SERVICES_DIR, NATS_DIR, MONGO_DIR]) {
  if (!existsSync(dir)) fail(`${dir} is not mounted`);
}

const created = [];
const natsPassword = keep(path.join(SERVICES_DIR, 'nats-password'));
const routePassword = keep(path.join(NATS_DIR, 'route-password'));
const mongoPassword = keep(path.join(SERVICES_DIR, 'mongo-password'));
const keyfile = keep(path.join(MONGO_DIR, 'keyfile'), 96);
if (natsPassword.created) created.push('nats-password');
if (routePassword.created) created.push('nats route-password');
if (mongoPassword.created) created.push('mongo-password');
if (keyfile.created) created.push('mongo keyfile');
if (mirror(path.join(MONGO_DIR, 'password'), mongoPassword.value)) created.push('mongo password copy');

const routes = ROUTE_HOSTS.map((h) => `"nats-route://route:${routePassword.value}@${h}"`).join(', ');
const conf = [
  '# Written by deploy/make-secrets.mjs; included by deploy/nats/teamhub.conf. Do not edit.',
  `TEAMHUB_NATS_PASSWORD: "${natsPassword.value}"`,
  `TEAMHUB_NATS_ROUTE_PASSWORD: "${routePassword.value}"`,
  `TEAMHUB_NATS_ROUTES: [${routes}]`,
  '',
].join('\n');
const confFile = path.join(NATS_DIR, 'teamhub.conf');
if (!existsSync(confFile) || readFileSync(confFile, 'utf8') !== conf) {
  writeAtomic(confFile, conf, 0o600);
  created.push('nats configuration');
}
console.log(created.length ? `make-secrets: wrote ${created.join(', ')}` : 'make-secrets: every secret already there');
