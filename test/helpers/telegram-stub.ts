import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One recorded Bot API call (sendMessage, answerCallbackQuery, editMessageText). */
export interface StubCall {
  method: string;
  body: Record<string, any>;
}

export interface TelegramStub {
  /** Bot API root to give the bot as TELEGRAM_API_BASE_URL. */
  url: string;
  token: string;
  /** Queues an update (update_id assigned) for the next getUpdates. */
  pushUpdate(update: Record<string, unknown>): number;
  /** Calls of `method`, in order. */
  calls(method: string): StubCall[];
  /** getUpdates requests seen so far, open right now, and the most ever open at once. */
  polls: { total: number; open: number; maxOpen: number };
  stop(): Promise<void>;
}

/**
 * A local stand-in for the Telegram Bot API on 127.0.0.1: `/bot<token>/getUpdates` long-polls
 * over queued updates (confirming those below `offset`, like Telegram) and counts concurrent
 * pollers; sendMessage, answerCallbackQuery and editMessageText are recorded. A wrong token gets
 * Telegram's 401 and concurrent getUpdates get its 409 (both still counted).
 */
export async function startTelegramStub(token = '123456:TEST-bot-token'): Promise<TelegramStub> {
  let nextUpdateId = 1;
  let nextMessageId = 1;
  let queue: Record<string, unknown>[] = [];
  const recorded: StubCall[] = [];
  const waiters = new Set<() => void>();
  const polls = { total: 0, open: 0, maxOpen: 0 };

  const reply = (res: http.ServerResponse, status: number, body: unknown) => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const getUpdates = (body: Record<string, any>, res: http.ServerResponse) => {
    polls.total++;
    polls.open++;
    polls.maxOpen = Math.max(polls.maxOpen, polls.open);
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      polls.open--;
      waiters.delete(answer);
      clearTimeout(timer);
    };
    function answer() {
      finish();
      reply(res, 200, { ok: true, result: queue.slice() });
    }
    if (polls.open > 1) {
      finish();
      return reply(res, 409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request' });
    }
    const offset = typeof body.offset === 'number' ? body.offset : 0;
    queue = queue.filter((u) => (u.update_id as number) >= offset);
    if (queue.length > 0) return answer();
    timer = setTimeout(answer, Math.max(0, Number(body.timeout ?? 0)) * 1000);
    waiters.add(answer);
    // The poller went away (aborted, or its process died): it no longer counts as polling.
    res.on('close', finish);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      if (!m) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      if (m[1] !== token) return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      let body: Record<string, any> = {};
      try {
        body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any>) : {};
      } catch {
        return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' });
      }
      const method = m[2]!;
      if (method === 'getUpdates') return getUpdates(body, res);
      recorded.push({ method, body });
      if (method === 'sendMessage') {
        return reply(res, 200, { ok: true, result: { message_id: nextMessageId++, chat: { id: body.chat_id, type: 'private' }, date: Math.floor(Date.now() / 1000), text: body.text } });
      }
      if (method === 'answerCallbackQuery' || method === 'editMessageText') return reply(res, 200, { ok: true, result: true });
      reply(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    polls,
    pushUpdate(update) {
      const id = nextUpdateId++;
      queue.push({ ...update, update_id: id });
      for (const w of [...waiters]) w();
      return id;
    },
    calls: (method) => recorded.filter((c) => c.method === method),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const w of [...waiters]) w();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
