import { expect } from 'chai';
import { ConfigError, EnvReader, readNatsSettings } from '../../../lib/config.js';

function read(env: Record<string, string>, files: Record<string, string> = {}) {
  const r = new EnvReader(env);
  const settings = readNatsSettings(r, (p) => files[p]);
  return r.done(settings);
}

function problems(env: Record<string, string>, files: Record<string, string> = {}): string {
  try {
    read(env, files);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems.join('\n');
  }
  return expect.fail('expected a ConfigError');
}

describe('NATS settings', () => {
  it('when nothing is set, then one local server, no credentials, one replica', () => {
    expect(read({})).to.deep.equal({ natsServers: ['nats://127.0.0.1:4222'], natsUser: undefined, natsPassword: undefined, natsReplicas: 1 });
  });

  it('when TEAMHUB_NATS_URL lists a cluster, then every server is kept in order', () => {
    const s = read({ TEAMHUB_NATS_URL: 'nats://nats-1:4222, nats://nats-2:4222,,nats-3:4222' });
    expect(s.natsServers).to.deep.equal(['nats://nats-1:4222', 'nats://nats-2:4222', 'nats-3:4222']);
  });

  it('when an entry is not a server address, then the problem names its position, not its text (it may hold a password)', () => {
    const text = problems({ TEAMHUB_NATS_URL: 'nats://a:4222,nats://u:hunter2@b:4222/path' });
    expect(text).to.contain('TEAMHUB_NATS_URL entry 2 is not a NATS server address');
    expect(text).to.not.contain('hunter2');
    expect(problems({ TEAMHUB_NATS_URL: ' , ' })).to.contain('at least one server');
  });

  it('when a user and a password file are set, then the password is read from the file, trimmed', () => {
    const s = read({ TEAMHUB_NATS_USER: 'teamhub', TEAMHUB_NATS_PASSWORD_FILE: '/secrets/nats-password' }, { '/secrets/nats-password': 'pw-from-file\n' });
    expect(s.natsUser).to.equal('teamhub');
    expect(s.natsPassword).to.equal('pw-from-file');
  });

  it('when the credentials are half there, then each missing half is a problem', () => {
    expect(problems({ TEAMHUB_NATS_USER: 'teamhub' })).to.contain('TEAMHUB_NATS_USER needs TEAMHUB_NATS_PASSWORD_FILE');
    expect(problems({ TEAMHUB_NATS_PASSWORD_FILE: '/f' }, { '/f': 'pw' })).to.contain('TEAMHUB_NATS_PASSWORD_FILE needs TEAMHUB_NATS_USER');
    expect(problems({ TEAMHUB_NATS_USER: 'u', TEAMHUB_NATS_PASSWORD_FILE: '/missing' })).to.contain('missing or empty');
    expect(problems({ TEAMHUB_NATS_USER: 'u', TEAMHUB_NATS_PASSWORD_FILE: '/blank' }, { '/blank': ' \n' })).to.contain('missing or empty');
  });

  it('when TEAMHUB_NATS_REPLICAS is set, then it must be 1 to 5 (what JetStream allows)', () => {
    expect(read({ TEAMHUB_NATS_REPLICAS: '3' }).natsReplicas).to.equal(3);
    expect(problems({ TEAMHUB_NATS_REPLICAS: '0' })).to.contain('TEAMHUB_NATS_REPLICAS must be >= 1');
    expect(problems({ TEAMHUB_NATS_REPLICAS: '7' })).to.contain('TEAMHUB_NATS_REPLICAS must be <= 5');
    expect(problems({ TEAMHUB_NATS_REPLICAS: 'three' })).to.contain('must be an integer');
  });
});
