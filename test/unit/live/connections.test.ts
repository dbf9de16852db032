import { expect } from 'chai';
import { pino } from 'pino';
import { accessTokenHash, ConnectionRegistry, RECENT_REVOCATION_MS, revokes, type CloseReason, type LiveCredential } from '../../../gateway/live/connections.js';
import { AppError } from '../../../lib/errors.js';
import { parseNamespace } from '../../../lib/namespace.js';
import { waitFor } from '../../helpers/ports.js';

const silent = pino({ level: 'silent' });
const alice = parseNamespace('alice');
const bob = parseNamespace('bob');
const limits = { socket: { perCredential: 2, perNamespace: 3 }, sse: { perCredential: 2, perNamespace: 3 } };

const jwt = (ns = alice, jti = 'j1', issuedMs = 1000, expiresAt = Math.floor(Date.now() / 1000) + 3600): LiveCredential => ({ kind: 'web-jwt', namespace: ns, jti, issuedMs, expiresAt });
const token = (ns = alice, raw = 'base:alice'): LiveCredential => ({ kind: 'access-token', namespace: ns, tokenHash: accessTokenHash(raw) });

function recorder() {
  const closed: CloseReason[] = [];
  return { closed, close: (r: CloseReason) => closed.push(r) };
}

describe('connection registry: revocation and fair share per replica', () => {
  it('when a logout names a jti, then only the streams opened with that JWT close, once', () => {
    const reg = new ConnectionRegistry(limits, silent);
    const a = recorder();
    const b = recorder();
    const other = recorder();
    const ra = reg.add('sse', jwt(alice, 'j1'), a.close);
    reg.add('sse', jwt(alice, 'j2'), b.close);
    reg.add('sse', jwt(bob, 'j1'), other.close);
    expect(reg.revoke({ namespace: 'alice', jti: 'j1' })).to.equal(1);
    expect(reg.revoke({ namespace: 'alice', jti: 'j1' })).to.equal(0);
    expect(a.closed).to.deep.equal(['revoked']);
    expect(ra.revoked).to.equal(true);
    expect(b.closed).to.deep.equal([]);
    // The same jti text in another namespace is another credential.
    expect(other.closed).to.deep.equal([]);
    expect(reg.size).to.equal(2);
  });

  it('when a namespace is rotated, then its JWTs issued before the cut-off and the sockets of the old token close; newer ones stay', () => {
    const reg = new ConnectionRegistry(limits, silent);
    const oldJwt = recorder();
    const newJwt = recorder();
    const oldSocket = recorder();
    const newSocket = recorder();
    const bobs = recorder();
    reg.add('sse', jwt(alice, 'old', 1000), oldJwt.close);
    reg.add('sse', jwt(alice, 'new', 5000), newJwt.close);
    reg.add('socket', token(alice, 'old-token'), oldSocket.close);
    reg.add('socket', token(alice, 'new-token'), newSocket.close);
    reg.add('socket', token(bob, 'old-token'), bobs.close);
    const closed = reg.revoke({ namespace: 'alice', revokedBefore: 2000, tokenSha256: accessTokenHash('old-token') });
    expect(closed).to.equal(2);
    expect([oldJwt.closed, newJwt.closed, oldSocket.closed, newSocket.closed, bobs.closed]).to.deep.equal([['revoked'], [], ['revoked'], [], []]);
  });

  it('when the token hash is computed, then it is the hex SHA-256 of the trimmed token, as the auth service stores it', () => {
    expect(accessTokenHash('  tok \n')).to.equal(accessTokenHash('tok'));
    expect(accessTokenHash('tok')).to.match(/^[0-9a-f]{64}$/);
    expect(revokes({ namespace: 'alice', tokenSha256: accessTokenHash('tok') }, token(alice, ' tok'))).to.equal(true);
    expect(revokes({ tokenSha256: accessTokenHash('tok') }, token(alice, 'tok'))).to.equal(false);
  });

  it('when a web JWT expires, then its stream is closed at its expiry', async () => {
    const reg = new ConnectionRegistry(limits, silent);
    const r = recorder();
    reg.add('sse', jwt(alice, 'soon', 0, Math.floor(Date.now() / 1000) + 1), r.close);
    await waitFor(() => r.closed.length > 0, { timeoutMs: 3000, what: 'expiry' });
    expect(r.closed).to.deep.equal(['expired']);
    expect(reg.size).to.equal(0);
  });

  it('when a connection closes by itself, then it is forgotten and frees its place', () => {
    const reg = new ConnectionRegistry(limits, silent);
    const r1 = reg.add('socket', token(), () => {});
    reg.add('socket', token(), () => {});
    expect(() => reg.add('socket', token(), () => {})).to.throw(AppError, 'Too many connections for this credential (at most 2)');
    r1.remove();
    r1.remove();
    reg.add('socket', token(), () => {});
    expect(reg.countIn(alice, 'socket')).to.equal(2);
  });

  it('when a namespace holds its limit, then another credential of it is refused but another namespace is not', () => {
    const reg = new ConnectionRegistry(limits, silent);
    reg.add('sse', jwt(alice, 'a'), () => {});
    reg.add('sse', jwt(alice, 'b'), () => {});
    reg.add('sse', jwt(alice, 'c'), () => {});
    let err: unknown;
    try {
      reg.add('sse', jwt(alice, 'd'), () => {});
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal('resource_exhausted');
    expect((err as AppError).message).to.equal('Too many event streams for this namespace (at most 3)');
    reg.add('sse', jwt(bob, 'a'), () => {});
    // Sockets and streams are counted apart.
    reg.add('socket', token(alice), () => {});
  });

  it('when the revocation list is refreshed, then a sweep closes what the list now revokes', () => {
    const reg = new ConnectionRegistry(limits, silent);
    const keep = recorder();
    const drop = recorder();
    reg.add('sse', jwt(alice, 'keep'), keep.close);
    reg.add('sse', jwt(alice, 'drop'), drop.close);
    expect(reg.sweep((c) => c.kind === 'web-jwt' && c.jti === 'drop')).to.equal(1);
    expect(drop.closed).to.deep.equal(['revoked']);
    expect(keep.closed).to.deep.equal([]);
  });

  it('when a revocation lands while a connection is being opened, then registering it afterwards is refused; other credentials register; after a minute it is forgotten', () => {
    let now = 10_000;
    const reg = new ConnectionRegistry(limits, silent, () => now);
    // Nothing is open yet: the logout and the rotation close nothing, but are remembered.
    expect(reg.revoke({ namespace: 'alice', jti: 'gone' })).to.equal(0);
    expect(reg.revoke({ namespace: 'alice', revokedBefore: 5000, tokenSha256: accessTokenHash('old-token') })).to.equal(0);
    const refused = (c: LiveCredential) => {
      try {
        reg.add(c.kind === 'web-jwt' ? 'sse' : 'socket', c, () => {});
        return 'registered';
      } catch (err) {
        return `${(err as AppError).code}: ${(err as AppError).message}`;
      }
    };
    expect(refused(jwt(alice, 'gone', 6000))).to.equal('unauthenticated: Invalid token');
    expect(refused(jwt(alice, 'before-cutoff', 4000))).to.equal('unauthenticated: Invalid token');
    expect(refused(token(alice, 'old-token'))).to.equal('unauthenticated: Invalid token');
    expect(refused(jwt(alice, 'after-cutoff', 6000))).to.equal('registered');
    expect(refused(token(alice, 'new-token'))).to.equal('registered');
    expect(refused(jwt(bob, 'gone', 1000))).to.equal('registered');
    expect(refused(token(bob, 'old-token'))).to.equal('registered');
    now += RECENT_REVOCATION_MS + 1;
    expect(refused(jwt(alice, 'gone', 6000))).to.equal('registered');
  });

  it('when closing a connection throws, then the registry still forgets it', () => {
    const reg = new ConnectionRegistry(limits, silent);
    reg.add('sse', jwt(alice, 'x'), () => {
      throw new Error('socket already gone');
    });
    expect(reg.revoke({ namespace: 'alice', jti: 'x' })).to.equal(1);
    expect(reg.size).to.equal(0);
  });
});
