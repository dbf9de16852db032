import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HUB_PROCESSES } from '../../../scripts/hub-processes.js';
import { BUS_ACCESS, writeBusCredentials } from '../../../scripts/nats-access.js';

describe('NATS users of make run', () => {
  it('when the credentials are written, then the folder is 0700, each file 0600, one password per process and no two alike', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-bus-'));
    try {
      const creds = writeBusCredentials(path.join(dir, 'nats-auth'), new Map(HUB_PROCESSES.map((p) => [p.name, p.bus])));
      expect(statSync(path.join(dir, 'nats-auth')).mode & 0o777).to.equal(0o700);
      expect(statSync(creds.configFile).mode & 0o777).to.equal(0o600);
      const passwords = HUB_PROCESSES.map((p) => {
        const file = creds.passwordFiles.get(p.name)!;
        expect(statSync(file).mode & 0o777, file).to.equal(0o600);
        return readFileSync(file, 'utf8').trim();
      });
      expect(new Set(passwords).size).to.equal(HUB_PROCESSES.length);
      const conf = readFileSync(creds.configFile, 'utf8');
      for (const p of HUB_PROCESSES) expect(conf).to.include(`user: "${p.name}"`);
      // A second start makes new passwords.
      const again = writeBusCredentials(path.join(dir, 'nats-auth'), new Map(HUB_PROCESSES.map((p) => [p.name, p.bus])));
      expect(readFileSync(again.passwordFiles.get('gateway')!, 'utf8').trim()).to.not.equal(passwords[HUB_PROCESSES.findIndex((p) => p.name === 'gateway')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the permissions are read, then only the gateway and the notify service read events or send RPCs, and only the gateway answers them', () => {
    const readsEvents = Object.entries(BUS_ACCESS).filter(([, a]) => (a.subscribe as readonly string[]).some((s) => s.includes('.session.') || s === 'teamhub.>'));
    expect(readsEvents.map(([n]) => n).sort()).to.deep.equal(['gateway', 'notify']);
    const sendsRpc = Object.entries(BUS_ACCESS).filter(([, a]) => (a.publish as readonly string[]).includes('teamhub.*.rpc.>'));
    expect(sendsRpc.map(([n]) => n).sort()).to.deep.equal(['gateway', 'notify']);
    const answers = Object.entries(BUS_ACCESS).filter(([, a]) => (a.publish as readonly string[]).some((s) => s.startsWith('_INBOX')));
    expect(answers.map(([n]) => n)).to.deep.equal(['gateway']);
    expect(BUS_ACCESS.session.publish).to.not.include('teamhub.*.machine.>');
    expect(BUS_ACCESS.machine.publish).to.not.include('teamhub.*.session.>');
  });
});
