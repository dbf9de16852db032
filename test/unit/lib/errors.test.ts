import { expect } from 'chai';
import { status, Metadata } from '@grpc/grpc-js';
import { AppError, ERROR_TABLE, toGrpcStatus, fromGrpcError, httpStatusOf, type ErrorCode } from '../../../lib/errors.js';

describe('error model', () => {
  it('when an AppError crosses gRPC and comes back, then code, message and details survive', () => {
    for (const code of Object.keys(ERROR_TABLE) as ErrorCode[]) {
      const sent = toGrpcStatus(new AppError(code, `msg ${code}`, { details: { retryAfterMs: '1500' } }));
      expect(sent.code).to.equal(ERROR_TABLE[code].grpc);
      const back = fromGrpcError({ code: sent.code, details: sent.details, metadata: sent.metadata } as never);
      expect(back.code).to.equal(code);
      expect(back.message).to.equal(`msg ${code}`);
      expect(back.details).to.deep.equal({ retryAfterMs: '1500' });
    }
  });

  it('when a non-AppError is thrown in a handler, then the client sees INTERNAL "internal error", never the original text', () => {
    const sent = toGrpcStatus(new Error('database password is hunter2'));
    expect(sent.code).to.equal(status.INTERNAL);
    expect(sent.details).to.equal('internal error');
  });

  it('when a status has no teamhub code header, then it maps by gRPC code', () => {
    expect(fromGrpcError({ code: status.NOT_FOUND, details: 'x', metadata: new Metadata() } as never).code).to.equal('not_found');
    expect(fromGrpcError({ code: status.UNAVAILABLE, details: 'No connection established', metadata: new Metadata() } as never).code).to.equal('unavailable');
    expect(fromGrpcError(new Error('plain')).code).to.equal('internal');
  });

  it('when mapped to HTTP, then the table gives HAPI-compatible statuses', () => {
    expect(httpStatusOf(new AppError('permission_denied', 'Machine access denied'))).to.equal(403);
    expect(httpStatusOf(new AppError('conflict', 'x'))).to.equal(409);
    expect(httpStatusOf(new AppError('resource_exhausted', 'x'))).to.equal(429);
    expect(httpStatusOf(new AppError('unavailable', 'x'))).to.equal(503);
  });
});
