import { CpuMeter, idleRate, netPerRequest } from './cpu-meter.js';
import { processCpuMs } from './process-cpu.js';

describe(CpuMeter.name, () => {
  it('counts the CPU the processes spend during the window', async () => {
    const meter = new CpuMeter(() => [process.pid]);
    const stop = await meter.start();
    const until = performance.now() + 200;
    while (performance.now() < until); // busy: CPU time, not waiting
    const reading = await stop();
    expect(reading.elapsedMs).toBeGreaterThanOrEqual(200);
    // Clock ticks are 10 ms; a busy loop of 200 ms shows as most of it even on a loaded machine.
    expect(reading.tiersMs).toBeGreaterThan(50);
    expect(reading.pgMs).toBeUndefined();
  });

  it('refuses a process it cannot read', async () => {
    const gone = 2 ** 22 + 1; // above Linux's largest PID
    expect(processCpuMs([gone])).toBeUndefined();
    await expect(new CpuMeter(() => [gone]).start()).rejects.toThrow(
      /cannot read the CPU time/,
    );
  });
});

describe(netPerRequest.name, () => {
  it('takes the idle rate over the window off before dividing by the requests', () => {
    const idle = idleRate({ tiersMs: 150, pgMs: 20, elapsedMs: 10_000 });
    expect(idle).toEqual({ tiersMsPerSec: 15, pgMsPerSec: 2 });
    const net = netPerRequest(
      { tiersMs: 1_030, pgMs: 204, elapsedMs: 2_000 },
      100,
      idle,
    );
    expect(net.tiersMs).toBeCloseTo(10, 9); // (1030 − 15 × 2) / 100
    expect(net.pgMs).toBeCloseTo(2, 9); // (204 − 2 × 2) / 100
  });

  it('leaves the database out when the window had none', () => {
    const net = netPerRequest({ tiersMs: 100, elapsedMs: 1_000 }, 10, {
      tiersMsPerSec: 0,
    });
    expect(net).toEqual({ tiersMs: 10 });
  });
});
