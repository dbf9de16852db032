import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';

/** The closed set of application error codes. Each maps once to a gRPC status and an HTTP status. */
export type ErrorCode =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  | 'not_found'
  | 'already_exists'
  | 'conflict'
  | 'failed_precondition'
  | 'resource_exhausted'
  | 'payload_too_large'
  | 'unavailable'
  | 'deadline_exceeded'
  | 'internal';

interface CodeRow {
  grpc: status;
  http: number;
}

/** The one table from application codes to gRPC and HTTP statuses. */
export const ERROR_TABLE: Readonly<Record<ErrorCode, CodeRow>> = Object.freeze({
  invalid_argument: { grpc: status.INVALID_ARGUMENT, http: 400 },
  unauthenticated: { grpc: status.UNAUTHENTICATED, http: 401 },
  permission_denied: { grpc: status.PERMISSION_DENIED, http: 403 },
  not_found: { grpc: status.NOT_FOUND, http: 404 },
  already_exists: { grpc: status.ALREADY_EXISTS, http: 409 },
  conflict: { grpc: status.ABORTED, http: 409 },
  // HAPI answers 409 for state-machine rules (e.g. deleting an active session), so we do too.
  failed_precondition: { grpc: status.FAILED_PRECONDITION, http: 409 },
  resource_exhausted: { grpc: status.RESOURCE_EXHAUSTED, http: 429 },
  payload_too_large: { grpc: status.OUT_OF_RANGE, http: 413 },
  unavailable: { grpc: status.UNAVAILABLE, http: 503 },
  deadline_exceeded: { grpc: status.DEADLINE_EXCEEDED, http: 504 },
  internal: { grpc: status.INTERNAL, http: 500 },
});

/** Trailer carrying the AppError code, so a client tells a handler's error from a transport one. */
export const ERROR_CODE_HEADER = 'teamhub-error-code';
const ERROR_DETAILS_HEADER = 'teamhub-error-details';

export type ErrorDetails = Record<string, string>;

/**
 * The one error type application code throws. `message` is safe to show a client;
 * `cause` is for logs only.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = opts.details ?? {};
  }

  /** Returns `reason` unchanged when it is an AppError, else wraps it as `internal`. */
  static from(reason: unknown, code: ErrorCode = 'internal'): AppError {
    if (reason instanceof AppError) return reason;
    return new AppError(code, 'internal error', { cause: reason });
  }
}

export function isAppError(err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}

/** Server side: turn anything thrown by a handler into a gRPC status object. */
export function toGrpcStatus(err: unknown): Partial<StatusObject> {
  const appErr = err instanceof AppError ? err : null;
  if (!appErr) {
    return { code: status.INTERNAL, details: 'internal error', metadata: codeMetadata('internal', {}) };
  }
  return {
    code: ERROR_TABLE[appErr.code].grpc,
    details: appErr.message,
    metadata: codeMetadata(appErr.code, appErr.details),
  };
}

function codeMetadata(code: ErrorCode, details: ErrorDetails): Metadata {
  const md = new Metadata();
  md.set(ERROR_CODE_HEADER, code);
  if (Object.keys(details).length > 0) md.set(ERROR_DETAILS_HEADER, Buffer.from(JSON.stringify(details)).toString('base64'));
  return md;
}

const GRPC_TO_CODE: ReadonlyMap<number, ErrorCode> = new Map(
  (Object.entries(ERROR_TABLE) as [ErrorCode, CodeRow][]).map(([code, row]) => [row.grpc, code]),
);

/** Client side: turn a gRPC ServiceError back into an AppError. */
export function fromGrpcError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const se = err as Partial<ServiceError>;
  if (typeof se?.code !== 'number') return AppError.from(err);
  const named = se.metadata?.get(ERROR_CODE_HEADER)[0];
  const code: ErrorCode =
    typeof named === 'string' && named in ERROR_TABLE
      ? (named as ErrorCode)
      : (GRPC_TO_CODE.get(se.code) ?? (se.code === status.CANCELLED ? 'unavailable' : 'internal'));
  const rawDetails = se.metadata?.get(ERROR_DETAILS_HEADER)[0];
  let details: ErrorDetails = {};
  if (typeof rawDetails === 'string') {
    try {
      details = JSON.parse(Buffer.from(rawDetails, 'base64').toString('utf8')) as ErrorDetails;
    } catch {
      details = {};
    }
  }
  const message = code === 'unavailable' && !named ? 'service unavailable' : (se.details ?? 'internal error');
  return new AppError(code, message, { cause: err, details });
}

/** Gateway side: the HTTP status for an application error. */
export function httpStatusOf(err: AppError): number {
  return ERROR_TABLE[err.code].http;
}
