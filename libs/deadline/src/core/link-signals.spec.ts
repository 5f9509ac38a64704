import { getEventListeners } from 'node:events';
import { linkSignals, NEVER_ABORTS } from './link-signals.js';

describe(linkSignals.name, () => {
  it('returns the one input as is, without allocating', () => {
    const a = new AbortController();
    expect(linkSignals(a.signal, undefined).signal).toBe(a.signal);
    expect(linkSignals(undefined, a.signal).signal).toBe(a.signal);
    expect(linkSignals(undefined, undefined).signal.aborted).toBe(false);
    expect(linkSignals(a.signal, NEVER_ABORTS).signal).toBe(a.signal);
    expect(linkSignals(NEVER_ABORTS, a.signal).signal).toBe(a.signal);
  });

  it('aborts when either input aborts, with that input’s reason, and lets go of the other', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals(a.signal, b.signal);
    b.abort(new Error('b went first'));
    expect(linked.signal.reason).toEqual(new Error('b went first'));
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
  });

  it('is born aborted when an input already is', () => {
    const a = new AbortController();
    a.abort(new Error('early'));
    expect(
      linkSignals(a.signal, new AbortController().signal).signal.reason,
    ).toEqual(new Error('early'));
  });

  it('removes its listeners from both inputs on dispose', () => {
    const a = new AbortController();
    const b = new AbortController();
    linkSignals(a.signal, b.signal).dispose();
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(b.signal, 'abort')).toHaveLength(0);
  });
});
