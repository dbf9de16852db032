import { expect } from 'chai';
import { applySessionPatch, pendingCount, sessionTitle, sortSessions } from '../../../web/src/lib/session-view.js';
import { readClaims } from '../../../web/src/lib/jwt.js';
import type { Session } from '../../../web/src/lib/types.js';

const base: Session = { id: 's-1', active: true, thinking: false, activeAt: 1, updatedAt: 1, metadata: { path: '/srv/a/proj', host: 'h' } };

describe('web session view helpers', () => {
  it('when a session has a name, summary or only a path, then the title prefers them in that order', () => {
    expect(sessionTitle({ ...base, metadata: { path: '/x/proj', name: 'Named', summary: { text: 'Sum' } } })).to.equal('Named');
    expect(sessionTitle({ ...base, metadata: { path: '/x/proj', summary: { text: 'Sum' } } })).to.equal('Sum');
    expect(sessionTitle(base)).to.equal('proj');
    expect(sessionTitle({ ...base, metadata: null })).to.equal('Session s-1');
  });

  it('when a session-updated patch carries versioned metadata and agentState, then they are unwrapped and pending requests counted', () => {
    const next = applySessionPatch(base, {
      metadata: { version: 3, value: { path: '/p', host: 'h', name: 'N' } },
      agentState: { version: 2, value: { requests: { r1: { tool: 'Bash' }, r2: { tool: 'Edit' } } } },
      active: false,
    });
    expect(next.metadata?.name).to.equal('N');
    expect(next.metadataVersion).to.equal(3);
    expect(pendingCount(next)).to.equal(2);
    expect(next.active).to.equal(false);
  });

  it('when a full session arrives as a patch, then plain fields (even ones named like wrappers) are taken as they are', () => {
    const next = applySessionPatch(base, { metadata: { path: '/q', host: 'h', version: 1, value: 2, extra: true } });
    expect(next.metadata).to.deep.equal({ path: '/q', host: 'h', version: 1, value: 2, extra: true });
  });

  it('when sessions are sorted, then active ones come first, then those waiting for permission, then the newest', () => {
    const list = sortSessions([
      { ...base, id: 'old', active: false, updatedAt: 1 },
      { ...base, id: 'new', active: false, updatedAt: 9 },
      { ...base, id: 'act', active: true, updatedAt: 0 },
      { ...base, id: 'ask', active: false, updatedAt: 0, pendingRequestsCount: 1 },
    ]);
    expect(list.map((s) => s.id)).to.deep.equal(['act', 'ask', 'new', 'old']);
  });

  it('when a JWT is decoded, then ns, exp and iat are read, and garbage gives null', () => {
    const part = Buffer.from(JSON.stringify({ uid: 1, ns: 'älice', iat: 10, exp: 20 })).toString('base64url');
    expect(readClaims(`h.${part}.s`)).to.deep.equal({ ns: 'älice', exp: 20, iat: 10 });
    expect(readClaims('not-a-jwt')).to.equal(null);
    expect(readClaims('a.%%%.b')).to.equal(null);
  });
});
