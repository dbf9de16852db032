import { expect } from 'chai';
import { EnvReader } from '../../../lib/config.js';
import { attachmentLimitError, attachmentPath, sanitizeFilename } from '../../../services/session/scratchlist.js';
import { readScratchlistLimits } from '../../../services/session/scratchlist-config.js';
import { estimateBase64Bytes } from '../../../gateway/routes/api-session-uploads.js';

const limits = readScratchlistLimits(new EnvReader({}));

describe('scratchlist rules (unit)', () => {
  it('when no variable is set, then the limits are HAPI\'s defaults; a bad one is reported', () => {
    expect(limits).to.deep.equal({
      maxBytesPerFile: 10 * 1024 * 1024,
      maxAttachmentsPerEntry: 4,
      maxBytesPerEntry: 20 * 1024 * 1024,
      maxBytesPerSession: 100 * 1024 * 1024,
      allowedMimeTypes: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/svg+xml', 'application/pdf', 'text/plain'],
    });
    const r = new EnvReader({ HAPI_SCRATCHLIST_MAX_ATTACHMENT_BYTES_PER_FILE: '99999999', HAPI_SCRATCHLIST_ALLOWED_ATTACHMENT_MIMES: ' image/png , ' });
    const custom = readScratchlistLimits(r);
    expect(custom.allowedMimeTypes).to.deep.equal(['image/png']);
    expect(() => r.done({})).to.throw(/HAPI_SCRATCHLIST_MAX_ATTACHMENT_BYTES_PER_FILE must be <= 15728640/);
  });

  it('when a file name has path parts, quotes, control characters or spaces, then they become underscores', () => {
    expect(sanitizeFilename('../etc/pass wd"\n.txt')).to.equal('__etc_pass_wd__.txt');
    expect(sanitizeFilename('')).to.equal('upload');
    expect(sanitizeFilename('x'.repeat(300))).to.have.length(255);
    expect(attachmentPath('a/b', 's1', 'id', 'f.txt')).to.equal('hapi-hub:scratchlist/a_b/s1/id-f.txt');
  });

  it('when attachments break a limit, then the first broken one answers with HAPI\'s text and code', () => {
    const att = (size: number, mimeType = 'text/plain') => ({ size, mimeType });
    expect(attachmentLimitError([att(1)], limits, 0)).to.equal(null);
    expect(attachmentLimitError([att(1), att(1), att(1), att(1), att(1)], limits, 0)?.details.hapiCode).to.equal('scratchlist_attachments_per_entry');
    const big = attachmentLimitError([att(limits.maxBytesPerFile + 1)], limits, 0)!;
    expect([big.code, big.details.hapiCode, big.message]).to.deep.equal(['payload_too_large', 'scratchlist_attachment_too_large', `Attachment exceeds per-file limit (${limits.maxBytesPerFile} bytes)`]);
    expect(attachmentLimitError([att(1, 'TEXT/PLAIN')], limits, 0)).to.equal(null);
    expect(attachmentLimitError([att(1, 'application/x-sh')], limits, 0)?.message).to.equal('Mime type not allowed: application/x-sh');
    expect(attachmentLimitError([att(8 * 1024 * 1024), att(8 * 1024 * 1024), att(8 * 1024 * 1024)], limits, 0)?.details.hapiCode).to.equal('scratchlist_attachments_entry_bytes');
    expect(attachmentLimitError([att(2)], limits, limits.maxBytesPerSession - 1)?.details.hapiCode).to.equal('scratchlist_attachments_session_bytes');
  });

  it('when base64 is measured, then its decoded size is estimated without decoding it', () => {
    for (const n of [0, 1, 2, 3, 4, 1000]) expect(estimateBase64Bytes(Buffer.alloc(n).toString('base64'))).to.equal(n);
  });
});
