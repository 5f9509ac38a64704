import { prettyLogLine } from './pretty-log-line.js';

describe(prettyLogLine.name, () => {
  it('prints the level, the context and the message, then every other field as key=value', () => {
    expect(
      prettyLogLine({
        time: '2026-11-24T08:00:00.000Z',
        level: 'warn',
        service: 'gateway',
        context: 'Deadline',
        msg: 'request ended',
        outcome: 'deadline_exceeded',
        remainingMs: 0,
        receivedBudgetMs: null,
      }),
    ).toBe(
      'WARN  [Deadline] request ended outcome=deadline_exceeded remainingMs=0 receivedBudgetMs=null',
    );
  });

  it('leaves out the brackets when there is no context', () => {
    expect(prettyLogLine({ level: 'log', msg: 'listening' })).toBe(
      'LOG   listening',
    );
  });

  it('writes fields that are not strings as JSON', () => {
    expect(
      prettyLogLine({
        level: 'log',
        msg: 'breaker state changed',
        to: { state: 'open' },
      }),
    ).toBe('LOG   breaker state changed to={"state":"open"}');
  });

  it('writes a message that is not a string as JSON', () => {
    expect(prettyLogLine({ level: 'log', msg: { nested: true } })).toBe(
      'LOG   {"nested":true}',
    );
  });
});
