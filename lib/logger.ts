import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The only pino() call in the project. Every other logger is a child of this one, carrying
 * bindings such as the service name, namespace and request id.
 */
export function createRootLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    redact: {
      paths: ['token', 'accessToken', '*.token', '*.accessToken', 'req.headers.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}
