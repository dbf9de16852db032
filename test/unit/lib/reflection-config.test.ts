import { expect } from 'chai';
import { ConfigError } from '../../../lib/config.js';
import { loadReflectionConfig } from '../../../lib/grpc/reflection-config.js';

describe('gRPC reflection setting', () => {
  it('when TEAMHUB_GRPC_REFLECTION is unset, then reflection is off; true/false words are taken; anything else is a clear problem', () => {
    expect(loadReflectionConfig({}).enabled).to.equal(false);
    expect(loadReflectionConfig({ TEAMHUB_GRPC_REFLECTION: 'true' }).enabled).to.equal(true);
    expect(loadReflectionConfig({ TEAMHUB_GRPC_REFLECTION: '1' }).enabled).to.equal(true);
    expect(loadReflectionConfig({ TEAMHUB_GRPC_REFLECTION: 'false' }).enabled).to.equal(false);
    let problems: string[] = [];
    try {
      loadReflectionConfig({ TEAMHUB_GRPC_REFLECTION: 'sometimes' });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems).to.deep.equal(['TEAMHUB_GRPC_REFLECTION must be true or false, got "sometimes"']);
  });
});
