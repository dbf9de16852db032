import { expect } from 'chai';
import { toHapiMachine } from '../../../gateway/hapi/machine-view.js';
import { isValidMachineMetadata } from '../../../services/machine/documents.js';

describe('HAPI machine view', () => {
  it('when a machine has no documents, then metadata, runnerState and health are null, as the reference hub answers', () => {
    const json = JSON.stringify(
      toHapiMachine({ id: 'm-y', namespace: 'alice', seq: 0, createdAt: 5, updatedAt: 5, active: false, activeAt: 5, metadataVersion: 1, runnerStateVersion: 1 }),
    );
    expect(json).to.equal(
      '{"id":"m-y","namespace":"alice","seq":0,"createdAt":5,"updatedAt":5,"active":false,"activeAt":5,"metadata":null,"metadataVersion":1,"runnerState":null,"runnerStateVersion":1,"health":null}',
    );
  });

  it('when documents are present, then they are parsed back in place', () => {
    const m = toHapiMachine({
      id: 'm', namespace: 'a', seq: 2, createdAt: 1, updatedAt: 2, active: true, activeAt: 2,
      metadataJson: '{"host":"h","platform":"p","happyCliVersion":"v"}', metadataVersion: 1,
      runnerStateJson: '{"status":"running"}', runnerStateVersion: 4, healthJson: '{"cpuCount":2}',
    });
    expect(m.metadata).to.deep.equal({ host: 'h', platform: 'p', happyCliVersion: 'v' });
    expect(m.runnerState).to.deep.equal({ status: 'running' });
    expect(m.health).to.deep.equal({ cpuCount: 2 });
  });

  it('when metadata lacks host, platform or happyCliVersion strings, then it is not valid', () => {
    expect(isValidMachineMetadata({ host: 'h', platform: 'p', happyCliVersion: 'v' })).to.equal(true);
    for (const bad of [{}, null, [], 'x', { host: 'h', platform: 'p' }, { host: 1, platform: 'p', happyCliVersion: 'v' }]) {
      expect(isValidMachineMetadata(bad)).to.equal(false);
    }
  });
});
