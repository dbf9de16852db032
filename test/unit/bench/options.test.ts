import { expect } from 'chai';
import { parseOptions, PHASES, UsageError } from '../../../bench/options.js';

const ROOT = '/srv/teamhub';
const at = new Date('2026-12-01T10:00:00.000Z');

describe('bench command line', () => {
  it('when run without arguments, then both hubs run every phase of the full plan and the JSON goes to bench/results', () => {
    const o = parseOptions([], ROOT, at);
    expect(o.hubs).to.deep.equal(['teamhub', 'hapi']);
    expect(o.phases).to.deep.equal([...PHASES]);
    expect(o.plan.sockets).to.deep.equal([500, 2000]);
    expect(o.plan.listSizes).to.deep.equal([300, 2000]);
    expect(o.plan.history).to.include({ sessions: 500, messagesPerSession: 1000 });
    expect(o.out).to.equal('/srv/teamhub/bench/results/2026-12-01T10-00-00-000Z.json');
    expect(o.profileDir).to.equal(undefined);
  });

  it('when --quick is given, then every workload is still in the plan, only smaller', () => {
    const o = parseOptions(['--quick'], ROOT, at);
    expect(o.phases).to.deep.equal([...PHASES]);
    expect(o.plan.sockets.length).to.be.greaterThan(0);
    expect(Math.max(...o.plan.sockets)).to.be.below(500);
    expect(o.plan.history.sessions * o.plan.history.messagesPerSession).to.be.below(500_000);
    expect(o.out.endsWith('-quick.json')).to.equal(true);
  });

  it('when the options choose hubs, phases, an output file and a profile directory, then they are taken', () => {
    const o = parseOptions(['--only', 'hapi', '--phases', 'creates,history', '--out', 'x.json', '--profile', 'prof'], ROOT, at);
    expect(o.hubs).to.deep.equal(['hapi']);
    expect(o.phases).to.deep.equal(['creates', 'history']);
    expect(o.out.endsWith('/x.json')).to.equal(true);
    expect(o.profileDir!.endsWith('/prof')).to.equal(true);
  });

  it('when --history is given, then it sizes the history case', () => {
    expect(parseOptions(['--history', '20x300'], ROOT).plan.history).to.include({ sessions: 20, messagesPerSession: 300 });
  });

  it('when an option is wrong, then a usage error says which', () => {
    expect(() => parseOptions(['--only', 'both'], ROOT)).to.throw(UsageError, /--only/);
    expect(() => parseOptions(['--phases', 'creates,warp'], ROOT)).to.throw(UsageError, /warp/);
    expect(() => parseOptions(['--workers', '0'], ROOT)).to.throw(UsageError, /--workers/);
    expect(() => parseOptions(['--rpc-methods', '99'], ROOT)).to.throw(UsageError, /--rpc-methods/);
    expect(() => parseOptions(['--history', '500'], ROOT)).to.throw(UsageError, /--history/);
    expect(() => parseOptions(['--bogus'], ROOT)).to.throw(/bogus/);
  });
});
