import { expect } from 'chai';
import { formatLogLine, formatLogRecord, colorize, escapeControl } from '../../../scripts/log-format.js';

describe('launcher log lines', () => {
  it('when a pino JSON line comes in, then it becomes "HH:MM:SS LEVEL msg key=value"', () => {
    const line = JSON.stringify({ level: 40, time: Date.UTC(2026, 10, 25, 16, 8, 19), pid: 1, hostname: 'h', service: 'auth', msg: 'port in use', port: 3006, path: '/a b' });
    expect(formatLogLine(line)).to.equal('16:08:19 WARN  port in use  port=3006 path="/a b"');
  });

  it('when an error is logged at error level, then its type, message and stack are shown', () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'startup failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' } });
    expect(formatLogLine(line)).to.equal('00:00:00 ERROR startup failed  err="Error: boom"\nError: boom\n    at x');
  });

  it('when a pino line names its service, then the record carries it (the services process shows each under its name); other lines name none', () => {
    const line = JSON.stringify({ level: 30, time: 0, service: 'session', msg: 'store opened: sqlite' });
    expect(formatLogRecord(line)).to.deep.equal({ text: '00:00:00 INFO  store opened: sqlite', service: 'session' });
    expect(formatLogRecord(JSON.stringify({ level: 30, time: 0, msg: 'm' }))).to.deep.equal({ text: '00:00:00 INFO  m' });
    expect(formatLogRecord('TEAMHUB_READY auth port=1')).to.deep.equal({ text: 'TEAMHUB_READY auth port=1' });
  });

  it('when a nats-server line comes in, then it is shortened the same way', () => {
    expect(formatLogLine('[123] 2026/11/25 16:18:14.123456 [INF] Server is ready')).to.equal('16:18:14 INFO  Server is ready');
  });

  it('when a line is neither, or is broken JSON, then it is passed through unchanged', () => {
    for (const l of ['TEAMHUB_READY auth port=1', '{not json', '{"msg":"no level"}']) expect(formatLogLine(l)).to.equal(l);
  });

  it('when long values are logged, then they are cut at 160 characters', () => {
    const out = formatLogLine(JSON.stringify({ level: 30, time: 0, msg: 'm', detail: 'x'.repeat(500) }));
    expect(out.length).to.be.below(200);
    expect(out.endsWith('...')).to.equal(true);
  });

  it('when colors are off, then labels are plain', () => {
    expect(colorize('auth', 0, false)).to.equal('auth');
    expect(colorize('auth', 0, true)).to.equal('\x1b[36mauth\x1b[0m');
  });

  it('when a client string carries terminal escapes, then no control character reaches the console raw', () => {
    const evil = 'm-\x1b]0;owned\x07\x1b[2J\x1b[31mred\x9b1m';
    const pinoLine = JSON.stringify({ level: 30, time: 0, msg: `machine registered ${evil}`, machineId: evil, err: { type: 'Error', message: evil } });
    const lines = [formatLogLine(pinoLine), formatLogLine(`plain ${evil}`), formatLogLine(`[1] 2026/11/25 16:18:14.123456 [ERR] client ${evil}`), formatLogLine(`{broken ${evil}`)];
    for (const out of lines) {
      expect(out).to.not.match(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/);
      expect(out).to.include('\\x1b');
    }
    expect(escapeControl('tab\tstays')).to.equal('tab\tstays');
    expect(escapeControl('\x1b[0m')).to.equal('\\x1b[0m');
  });
});
