import { expect } from 'chai';
import { hubProcessesFor } from '../../../scripts/hub-processes.js';

describe('the processes make run starts (TEAMHUB_SERVICE_PROCESSES)', () => {
  const shape = (env: NodeJS.ProcessEnv) => hubProcessesFor(env).map((p) => `${p.wave}:${p.name}${p.hosts ? `[${p.hosts.map((m) => m.name).join(',')}]` : ''}`);

  it('when nothing is set, then auth, session and machine run in one process, and notify in its own beside the gateway', () => {
    expect(shape({})).to.deep.equal(['1:services[auth,session,machine]', '2:notify', '2:gateway']);
  });

  it('when a Telegram bot token is set, then the bot runs in the notify process, not in the shared one', () => {
    expect(shape({ TELEGRAM_BOT_TOKEN: 't' })).to.deep.equal(['1:services[auth,session,machine]', '2:notify', '2:gateway']);
  });

  it('when the shared process is made, then its NATS user reads no events and sends no RPC (only notify and the gateway do)', () => {
    const services = hubProcessesFor({}).find((p) => p.name === 'services')!;
    expect(services.bus.subscribe.some((s) => s.includes('.session.') || s.includes('.message.'))).to.equal(false);
    expect(services.bus.publish).to.not.include('teamhub.*.rpc.>');
    expect(hubProcessesFor({}).find((p) => p.name === 'notify')!.bus.publish).to.include('teamhub.*.rpc.>');
  });

  it('when split is asked for, then every service is its own process, in its waves', () => {
    expect(shape({ TEAMHUB_SERVICE_PROCESSES: 'split' })).to.deep.equal(['1:auth', '2:session', '2:machine', '2:notify', '3:gateway']);
  });

  it('when the value is unknown, then it is refused with the choices', () => {
    expect(() => hubProcessesFor({ TEAMHUB_SERVICE_PROCESSES: 'two' })).to.throw('TEAMHUB_SERVICE_PROCESSES must be one of one|split, got "two"');
  });
});
