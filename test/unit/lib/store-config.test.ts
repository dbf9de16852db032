import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { ConfigError, EnvReader } from '../../../lib/config.js';
import { readStoreConfig } from '../../../lib/store/config.js';

const FILES: Record<string, string> = { '/secrets/mongo-password': 'p@ss:w/rd?%\n', '/secrets/empty': '\n' };

function read(env: Record<string, string>) {
  const r = new EnvReader({ TEAMHUB_STORE: 'mongo', ...env });
  const store = readStoreConfig(r, 'session', (p) => FILES[p]);
  return r.done({ store }).store;
}

function problems(env: Record<string, string>): string {
  try {
    read(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems.join('\n');
  }
  return expect.fail('expected a ConfigError');
}

describe('store config: MongoDB credentials', () => {
  it('when no user is set, then the URL is used as given', () => {
    expect(read({ TEAMHUB_MONGO_URL: 'mongodb://mongo:27017/?replicaSet=rs0' })).to.deep.equal({ kind: 'mongo', url: 'mongodb://mongo:27017/?replicaSet=rs0', dbName: 'teamhub' });
  });

  it('when a user and a password file are set, then the driver sees exactly that user and password, even with URL-special characters', () => {
    for (const url of ['mongodb://mongo:27017/?replicaSet=rs0&authSource=admin', 'mongodb://m1:27017,m2:27017,m3:27017/?replicaSet=rs0&authSource=admin']) {
      const store = read({ TEAMHUB_MONGO_URL: url, TEAMHUB_MONGO_USER: 'team hub', TEAMHUB_MONGO_PASSWORD_FILE: '/secrets/mongo-password' });
      expect(store.kind).to.equal('mongo');
      const client = new MongoClient((store as { url: string }).url);
      expect(client.options.credentials?.username, url).to.equal('team hub');
      expect(client.options.credentials?.password, url).to.equal('p@ss:w/rd?%');
      expect(client.options.credentials?.source, url).to.equal('admin');
      expect(client.options.hosts.map(String), url).to.have.length(url.includes('m3') ? 3 : 1);
    }
  });

  it('when the credentials are half there, unreadable, or given twice, then it is a clear problem that does not show the password', () => {
    expect(problems({ TEAMHUB_MONGO_URL: 'mongodb://m', TEAMHUB_MONGO_USER: 'u' })).to.contain('TEAMHUB_MONGO_USER needs TEAMHUB_MONGO_PASSWORD_FILE');
    expect(problems({ TEAMHUB_MONGO_URL: 'mongodb://m', TEAMHUB_MONGO_PASSWORD_FILE: '/secrets/mongo-password' })).to.contain('needs TEAMHUB_MONGO_USER');
    expect(problems({ TEAMHUB_MONGO_URL: 'mongodb://m', TEAMHUB_MONGO_USER: 'u', TEAMHUB_MONGO_PASSWORD_FILE: '/nope' })).to.contain('missing or empty');
    expect(problems({ TEAMHUB_MONGO_URL: 'mongodb://m', TEAMHUB_MONGO_USER: 'u', TEAMHUB_MONGO_PASSWORD_FILE: '/secrets/empty' })).to.contain('missing or empty');
    const twice = problems({ TEAMHUB_MONGO_URL: 'mongodb://a:b@m', TEAMHUB_MONGO_USER: 'u', TEAMHUB_MONGO_PASSWORD_FILE: '/secrets/mongo-password' });
    expect(twice).to.contain('already carries credentials');
    expect(twice).to.not.contain('p@ss');
    expect(problems({ TEAMHUB_MONGO_URL: 'http://m', TEAMHUB_MONGO_USER: 'u', TEAMHUB_MONGO_PASSWORD_FILE: '/secrets/mongo-password' })).to.contain('must start with mongodb://');
  });
});
