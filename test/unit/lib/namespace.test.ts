import { expect } from 'chai';
import { namespaceProblem, isNamespace, subjectToken, fromSubjectToken, MAX_NAMESPACE_BYTES } from '../../../lib/namespace.js';

describe('namespace names', () => {
  it('when a name is 256 UTF-8 bytes, then it is accepted; at 257 it is refused', () => {
    expect(isNamespace('a'.repeat(MAX_NAMESPACE_BYTES))).to.equal(true);
    expect(namespaceProblem('a'.repeat(MAX_NAMESPACE_BYTES + 1))).to.match(/longer than 256 bytes/);
    // 'ü' is 2 bytes: 128 of them fit, 129 do not.
    expect(isNamespace('ü'.repeat(128))).to.equal(true);
    expect(isNamespace('ü'.repeat(129))).to.equal(false);
  });

  it('when a name has control characters or edge whitespace, then it is refused', () => {
    for (const bad of ['a\tb', 'a\nb', '\u0000', 'x\u007f', 'x\u0085', ' x', 'x ', '', 'a\u2028b']) {
      expect(isNamespace(bad), JSON.stringify(bad)).to.equal(false);
    }
  });

  it('when a name is any other string, then it is legal and opaque', () => {
    for (const ok of ['default', 'a.b', '*', '>', 'with space', 'ünïcödé', '🙂', 'a/b', 'null', '$where', '__proto__']) {
      expect(isNamespace(ok), ok).to.equal(true);
    }
  });

  it('when a value is not a string, then it is refused', () => {
    expect(isNamespace(undefined)).to.equal(false);
    expect(isNamespace(42)).to.equal(false);
  });
});

describe('subject tokens', () => {
  const samples = ['a', 'a.b', '*', '>', ' x', 'x ', 'with space', 'ünï', '🙂'.repeat(16), 'pa', 'xa', 'p', 'x', '', 'a'.repeat(64), 'a'.repeat(65), 'A-b_c'];

  it('when any string is encoded, then the token holds only [A-Za-z0-9_-]', () => {
    for (const s of samples) expect(subjectToken(s), s).to.match(/^[A-Za-z0-9_-]+$/);
  });

  it('when two different strings are encoded, then their tokens differ (injective) and decode back', () => {
    const tokens = new Map<string, string>();
    for (const s of samples) {
      const t = subjectToken(s);
      expect(tokens.has(t), `${s} collides with ${tokens.get(t)}`).to.equal(false);
      tokens.set(t, s);
      expect(fromSubjectToken(t)).to.equal(s);
    }
  });
});
