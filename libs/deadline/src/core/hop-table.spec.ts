import type { HopRecord } from './hop-record.js';
import { formatHopTable } from './hop-table.js';

const order: HopRecord = {
  service: 'order',
  method: 'PlaceOrder',
  receivedBudgetMs: 1000,
  spentMs: 120,
  forwardedBudgetMs: 900,
  outcome: 'ok',
};
const inventory: HopRecord = {
  service: 'inventory',
  method: 'Reserve',
  receivedBudgetMs: 890,
  spentMs: 4,
  forwardedBudgetMs: null,
  outcome: 'ok',
};

describe(formatHopTable.name, () => {
  it('prints level, budgets, decay and outcome, and no replica column when no record names one', () => {
    const [header, rule, first, second] = formatHopTable([
      order,
      inventory,
    ]).split('\n');
    expect(header.split(/\s+/)).toEqual([
      'level',
      'service',
      'method',
      'initial',
      'remaining',
      'spent',
      'decay',
      'outcome',
    ]);
    expect(rule).toMatch(/^─+( {2}─+){7}$/);
    expect(first.split(/\s{2,}/)).toEqual([
      '0',
      'order',
      'PlaceOrder',
      '1000.0 ms',
      '900.0 ms',
      '120.0 ms',
      '10.0%',
      'ok',
    ]);
    // Called nobody: what it had left when it finished.
    expect(second).toContain('886.0 ms');
  });

  it('adds a last replica column when any record names one, with – for those that do not', () => {
    const lines = formatHopTable([
      order,
      { ...inventory, replica: 'host-a:50063' },
    ]).split('\n');
    expect(lines[0]).toMatch(/outcome {2}replica$/);
    expect(lines[2]).toMatch(/ok {7}–$/);
    expect(lines[3]).toMatch(/ok {7}host-a:50063$/);
    // The column lines up under its header.
    expect(lines[3].indexOf('host-a')).toBe(lines[0].indexOf('replica'));
  });
});
