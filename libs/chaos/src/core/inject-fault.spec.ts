import { CallDroppedError } from './call-dropped.error.js';
import { injectFault } from './inject-fault.js';
import { InjectedFaultError } from './injected-fault.error.js';

const fault = { id: 'f1', delayMs: 50, jitterMs: 0 };

describe(injectFault.name, () => {
  it('lets the call go on after a delay', async () => {
    const startedAt = performance.now();
    await injectFault({ ...fault, kind: 'delay' });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(45);
  });

  it('ends a delay with the signal’s reason the moment the caller gives up', async () => {
    const controller = new AbortController();
    const held = injectFault(
      { ...fault, kind: 'delay', delayMs: 60_000 },
      { signal: controller.signal },
    );
    controller.abort(new Error('deadline'));
    await expect(held).rejects.toThrow('deadline');
  });

  it('runs a delay in full when told not to honour the deadline (naive mode)', async () => {
    const controller = new AbortController();
    controller.abort(new Error('deadline'));
    await expect(
      injectFault(
        { ...fault, kind: 'delay' },
        { signal: controller.signal, honourDeadline: false },
      ),
    ).resolves.toBeUndefined();
  });

  it('spreads a delay by its jitter', async () => {
    let scheduled = -1;
    const clock = {
      now: () => 0,
      setTimeout: (cb: () => void, ms: number) => ((scheduled = ms), cb(), {}),
      clearTimeout: () => undefined,
    };
    await injectFault(
      { ...fault, kind: 'delay', delayMs: 100, jitterMs: 20 },
      { clock, random: () => 1 },
    );
    expect(scheduled).toBe(120);
  });

  it('answers an error fault with its gRPC code', async () => {
    const error = await injectFault({ ...fault, kind: 'error', code: 8 }).catch(
      (e: unknown) => e,
    );
    expect(InjectedFaultError.is(error) && [error.code, error.message]).toEqual(
      [8, 'RESOURCE_EXHAUSTED injected by chaos fault f1'],
    );
  });

  it('drops the call on an abort fault', async () => {
    await expect(
      injectFault({ ...fault, kind: 'abort' }),
    ).rejects.toBeInstanceOf(CallDroppedError);
  });

  it('hangs until the caller gives up', async () => {
    const controller = new AbortController();
    let settled = false;
    const held = injectFault(
      { ...fault, kind: 'hang' },
      { signal: controller.signal },
    ).finally(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    controller.abort(new Error('cancelled'));
    await expect(held).rejects.toThrow('cancelled');
  });

  it('leaves no listener on the signal once settled', async () => {
    const controller = new AbortController();
    const added: unknown[] = [];
    const removed: unknown[] = [];
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((
      type: string,
      listener: EventListener,
      options?: AddEventListenerOptions,
    ) => (
      added.push(listener),
      add(type, listener, options)
    )) as typeof signal.addEventListener;
    signal.removeEventListener = ((type: string, listener: EventListener) => (
      removed.push(listener),
      remove(type, listener)
    )) as typeof signal.removeEventListener;
    await injectFault({ ...fault, kind: 'delay', delayMs: 1 }, { signal });
    expect(removed).toEqual(added);
  });
});
