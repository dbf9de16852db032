/** An error meant for the user: printed as `teamhub: <message>`, exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The hub answered with a non-2xx status; `message` is the server's `error` text when it gave one. */
export class HttpError extends CliError {
  constructor(
    readonly status: number,
    readonly serverError: string,
    what: string,
  ) {
    super(`${what} failed: HTTP ${status}${serverError ? ` ${serverError}` : ''}`);
    this.name = 'HttpError';
  }
}

export const MACHINE_NAMESPACE_HINT =
  'This machine id is registered in another namespace. Run `teamhub auth logout` (then log in with your token) or use a separate HAPI_HOME for each namespace.';
