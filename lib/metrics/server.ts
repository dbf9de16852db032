import { createServer, type Server } from 'node:http';
import type { Logger } from '../logger.js';
import { splitHostPort } from './config.js';
import type { HubMetrics } from './registry.js';

export interface MetricsServer {
  /** The bound port (the one asked for, or the free one port 0 got). */
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format) on an address of its own; every other path is
 * 404 and every other method 405. No authentication: this listener is never the public port.
 */
export async function startMetricsServer(address: string, metrics: HubMetrics, log: Logger): Promise<MetricsServer> {
  const { host, port } = splitHostPort(address);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Not found' }));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET' }).end(JSON.stringify({ error: 'Method not allowed' }));
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => {
        log.warn({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'metrics unavailable' }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${bound}/metrics`;
  log.info({ url }, 'metrics listening');
  return {
    port: bound,
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
