import { hostname } from 'node:os';
import { REPLICA_ID_PATTERN, replicaName } from './replica-name.js';

describe(replicaName.name, () => {
  it('is REPLICA_ID when it is set', () => {
    expect(replicaName('inventory-2', 50063, 'box')).toBe('inventory-2');
  });

  it('defaults to <hostname>:<port>, the machine’s own hostname unless told', () => {
    expect(replicaName('', 50063, 'inventory-7d9f-x2k')).toBe(
      'inventory-7d9f-x2k:50063',
    );
    expect(replicaName('', 3000)).toBe(`${hostname()}:3000`);
  });

  it('names a process on an OS-chosen port by its PID', () => {
    expect(replicaName('', 0, 'box')).toBe(`box:pid-${process.pid}`);
  });

  it('keeps at most 96 characters of a long hostname', () => {
    expect(replicaName('', 50053, 'h'.repeat(120))).toHaveLength(96);
  });
});

describe('REPLICA_ID_PATTERN', () => {
  it.each(['', 'inventory-2', 'pod-abc:50053', 'r'.repeat(96)])(
    'accepts %j',
    (value) => expect(REPLICA_ID_PATTERN.test(value)).toBe(true),
  );
  it.each(['has space', 'tab\there', 'é', 'r'.repeat(97)])(
    'refuses %j',
    (value) => expect(REPLICA_ID_PATTERN.test(value)).toBe(false),
  );
});
