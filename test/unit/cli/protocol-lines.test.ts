import { expect } from 'chai';
import { parsePermissionLine, permissionResultLine, splitCommand } from '../../../cli/run/protocol-lines.js';
import { Inbox, type HubMessage } from '../../../cli/run/inbox.js';

describe('cli run line protocol', () => {
  it('when a line is `::permission <tool> <json>`, then tool and parsed arguments come out', () => {
    expect(parsePermissionLine('::permission Bash {"command":"ls -la"}')).to.deep.equal({ tool: 'Bash', arguments: { command: 'ls -la' } });
    expect(parsePermissionLine('::permission Edit')).to.deep.equal({ tool: 'Edit', arguments: {} });
    expect(parsePermissionLine('::permission Write not-json here\r')).to.deep.equal({ tool: 'Write', arguments: 'not-json here' });
  });

  it('when a line is anything else, then it is not a permission request', () => {
    for (const l of ['hello', ' ::permission Bash {}', '::permission ', '::permission-result x approved', '::permissionBash {}']) {
      expect(parsePermissionLine(l), l).to.equal(null);
    }
  });

  it('when a decision is written back, then it is one line with id and verdict', () => {
    expect(permissionResultLine('r1', true)).to.equal('::permission-result r1 approved\n');
    expect(permissionResultLine('r1', false)).to.equal('::permission-result r1 denied\n');
  });

  it('when an agent command has quotes and escapes, then it splits like a shell would (without one)', () => {
    expect(splitCommand(`node "/tmp/my dir/a.js" --x='a b' c\\ d`)).to.deep.equal(['node', '/tmp/my dir/a.js', '--x=a b', 'c d']);
    expect(splitCommand('  ')).to.deep.equal([]);
    expect(() => splitCommand('node "oops')).to.throw(/unterminated/);
  });
});

describe('cli run inbox', () => {
  const user = (id: string, seq: number, text: string): HubMessage => ({
    id,
    seq,
    localId: `l-${id}`,
    content: { role: 'user', content: { type: 'text', text } },
  });
  const agent = (id: string, seq: number): HubMessage => ({ id, seq, content: { role: 'agent', content: { type: 'output' } } });

  it('when the same message arrives live and by backfill, then it is delivered once, in seq order', async () => {
    const got: string[] = [];
    const history = [user('a', 1, 'one'), agent('b', 2), user('c', 3, 'three')];
    const inbox = new Inbox(async (after) => history.filter((m) => m.seq > after), (m) => got.push(`${m.text}/${m.localId}`));
    inbox.push(user('a', 1, 'one'));
    await inbox.backfill();
    inbox.push(user('c', 3, 'three'));
    inbox.push(user('d', 4, 'four'));
    expect(got).to.deep.equal(['one/l-a', 'three/l-c', 'four/l-d']);
  });

  it('when live messages arrive during a backfill, then they wait and come after the older ones', async () => {
    const got: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inbox = new Inbox(async () => {
      await gate;
      return [user('a', 1, 'old')];
    }, (m) => got.push(m.text));
    const done = inbox.backfill();
    inbox.push(user('b', 2, 'new'));
    release();
    await done;
    expect(got).to.deep.equal(['old', 'new']);
  });

  it('when a backfill asks again after a reconnect, then it asks after the last seen seq', async () => {
    const asked: number[] = [];
    const inbox = new Inbox(async (after) => (asked.push(after), after === 0 ? [user('a', 5, 'x')] : []), () => undefined);
    await inbox.backfill();
    await inbox.backfill();
    expect(asked).to.deep.equal([0, 5]);
  });

  it('when content is a JSON string, then the user text is still found', async () => {
    const got: string[] = [];
    const inbox = new Inbox(async () => [], (m) => got.push(m.text));
    inbox.push({ id: 'x', seq: 1, content: JSON.stringify({ role: 'user', content: { type: 'text', text: 'hi' } }) });
    expect(got).to.deep.equal(['hi']);
  });
});
