import { expect } from 'chai';
import { answersBody, denyBody, permissionActions } from '../../../web/src/lib/permission-options.js';
import { parseSchedule, toLocalInput, MAX_SCHEDULE_MS } from '../../../web/src/lib/schedule.js';
import { effortKind, permissionModes, staticModels, supportsSteering } from '../../../web/src/lib/agent-config.js';

describe('web steering: permission answers, schedules and per-agent settings', () => {
  it("when Claude asks to run a command, then HAPI's options are approve, approve for session (that exact command) and deny", () => {
    const actions = permissionActions('claude', 'Bash', { command: 'npm test' });
    expect(actions.map((a) => [a.label, a.body])).to.deep.equal([
      ['Approve', {}],
      ['Approve for session', { allowTools: ['Bash(npm test)'] }],
    ]);
    expect(denyBody(undefined)).to.deep.equal({});
  });

  it('when Claude asks to edit, then "approve all edits" switches the mode to acceptEdits', () => {
    expect(permissionActions(null, 'Edit', {}).map((a) => [a.id, a.body])).to.deep.equal([
      ['approve', {}],
      ['approve-edits', { mode: 'acceptEdits' }],
      ['approve-session', { allowTools: ['Edit'] }],
    ]);
  });

  it("when Codex asks, then the options carry HAPI's decisions, abort is a deny, and deny says denied", () => {
    expect(permissionActions('codex', 'CodexBash', {}).map((a) => [a.label, a.body, 'deny' in a])).to.deep.equal([
      ['Approve', { decision: 'approved' }, false],
      ['Approve for session', { decision: 'approved_for_session' }, false],
      ['Abort', { decision: 'abort' }, true],
    ]);
    expect(denyBody('codex')).to.deep.equal({ decision: 'denied' });
  });

  it('when questions are answered, then answers are keyed by question index with typed answers added', () => {
    expect(answersBody([['Keep a Changelog'], []], ['', 'my own'])).to.deep.equal({ '0': ['Keep a Changelog'], '1': ['my own'] });
  });

  it('when a message is scheduled, then only a future time within 7 days is accepted', () => {
    const now = new Date('2026-03-01T10:00:00').getTime();
    expect(parseSchedule(toLocalInput(now + 3_600_000), now)).to.deep.equal({ at: now + 3_600_000 });
    expect(parseSchedule(toLocalInput(now - 60_000), now)).to.deep.equal({ error: 'Pick a time in the future.' });
    expect(parseSchedule(toLocalInput(now + MAX_SCHEDULE_MS + 120_000), now)).to.deep.equal({ error: 'A message can be scheduled at most 7 days ahead.' });
    expect(parseSchedule('', now)).to.deep.equal({ error: 'Pick a date and time.' });
    expect(parseSchedule('not a date', now)).to.deep.equal({ error: 'That is not a date and time.' });
  });

  it("when the agent is Claude, Codex or another, then modes, models, effort and steering follow HAPI's per-agent rules", () => {
    expect(permissionModes(undefined)).to.deep.equal(['default', 'acceptEdits', 'auto', 'bypassPermissions', 'plan']);
    expect(permissionModes('codex')).to.deep.equal(['default', 'read-only', 'safe-yolo', 'yolo']);
    expect(permissionModes('pi')).to.deep.equal([]);
    expect(staticModels('claude')?.map(([id]) => id)).to.include('opus');
    expect(staticModels('codex')).to.equal(null);
    expect([effortKind('claude'), effortKind('codex'), effortKind('gemini')]).to.deep.equal(['effort', 'reasoning', null]);
    expect([supportsSteering({ flavor: 'codex' }), supportsSteering({ flavor: 'claude' }), supportsSteering({ flavor: 'cursor', cursorSessionProtocol: 'stream-json' })]).to.deep.equal([true, false, false]);
  });
});
