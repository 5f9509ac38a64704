import { EventEmitter } from 'node:events';
import { Deadline } from './deadline.js';
import { currentDeadline } from './deadline-context.js';
import { DeadlineScope } from './deadline-scope.js';
import { emitInScope } from './emit-in-scope.js';

describe(emitInScope.name, () => {
  const deadline = Deadline.after(60_000);
  const scope = new DeadlineScope(deadline, 'test', 'Lines', 60_000);
  afterAll(() => deadline.dispose());

  it('runs the listeners of every event inside the scope, however the emit was reached', () => {
    const emitter = new EventEmitter();
    const seen: unknown[] = [];
    emitter.on('data', () => seen.push(currentDeadline()));
    emitInScope(emitter, scope);
    emitter.emit('data', 1);
    expect(seen).toEqual([deadline]);
  });

  it('gives the emitter its own emit back on undo', () => {
    const emitter = new EventEmitter();
    const seen: unknown[] = [];
    emitter.on('data', () => seen.push(currentDeadline()));
    emitInScope(emitter, scope)();
    emitter.emit('data', 1);
    expect(seen).toEqual([undefined]);
    expect(Object.hasOwn(emitter, 'emit')).toBe(false);
  });
});
