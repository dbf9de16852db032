import net from 'node:net';

export interface RawRequest {
  method: string;
  /** Path and query, already percent-encoded as they go on the wire. */
  target: string;
  /** Header values are written byte for byte (latin1), so a test can send bytes fetch refuses. */
  headers: Record<string, string>;
  body?: Buffer | string;
  /** Declare this Content-Length but send only `body` (an oversized body refused from its header). */
  declaredLength?: number;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
  /** An SSE stream was opened (its body is not read). */
  stream: boolean;
  ms: number;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function dechunk(raw: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const nl = raw.indexOf('\r\n', at);
    if (nl < 0) return null;
    const size = parseInt(raw.subarray(at, nl).toString('latin1'), 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return Buffer.concat(parts);
    if (raw.length < nl + 2 + size + 2) return null;
    parts.push(raw.subarray(nl + 2, nl + 2 + size));
    at = nl + 2 + size + 2;
  }
}

/**
 * One HTTP/1.1 request over a plain socket, written exactly as given (no header validation, so
 * control characters and raw bytes reach the server), answered with the status, headers and
 * body; an SSE answer resolves once its headers are in. Rejects on timeout ('no answer').
 */
export function rawHttp(base: string, req: RawRequest, timeoutMs = 10_000): Promise<RawAnswer> {
  const u = new URL(base);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`no answer within ${timeoutMs} ms`))), timeoutMs);
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
    const lines = [`${req.method} ${req.target} HTTP/1.1`, `Host: ${u.host}`, 'Connection: close'];
    for (const [k, val] of Object.entries(req.headers)) lines.push(`${k}: ${val}`);
    if (body !== undefined || req.declaredLength !== undefined) lines.push(`Content-Length: ${req.declaredLength ?? body!.length}`);
    sock.on('connect', () => {
      sock.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
      if (body) sock.write(body);
    });
    const tryParse = (ended: boolean) => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return ended ? finish(() => reject(new Error(`connection closed without an answer (${buf.length} bytes)`))) : undefined;
      const head = buf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const h of head.slice(1)) {
        const i = h.indexOf(':');
        if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
      }
      const ms = Date.now() - started;
      if ((headers['content-type'] ?? '').startsWith('text/event-stream')) return finish(() => resolve({ status, headers, text: '', json: undefined, stream: true, ms }));
      const rest = buf.subarray(end + 4);
      let bodyBuf: Buffer | null = null;
      if (headers['transfer-encoding']?.includes('chunked')) bodyBuf = dechunk(rest);
      else if (headers['content-length'] !== undefined) bodyBuf = rest.length >= Number(headers['content-length']) ? rest.subarray(0, Number(headers['content-length'])) : null;
      else if (ended) bodyBuf = rest;
      if (bodyBuf === null) return ended ? finish(() => reject(new Error('connection closed mid-answer'))) : undefined;
      const text = bodyBuf.toString('utf8');
      finish(() => resolve({ status, headers, text, json: parseJson(text), stream: false, ms }));
    };
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      tryParse(false);
    });
    sock.on('end', () => tryParse(true));
    sock.on('error', (err) => finish(() => reject(err)));
  });
}
