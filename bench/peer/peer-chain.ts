import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, repoRoot, TierProcess } from '../../tools/stack/index.js';
import { pidsOf } from '../support/process-cpu.js';

/** The five peer tiers (bare grpc-js with `parent` propagation) as separate processes. */
export class PeerChain {
  private constructor(
    readonly edgeUrl: string,
    private readonly processes: TierProcess[],
  ) {}

  static async start(): Promise<PeerChain> {
    const script = join(compiledBenchDir(), 'peer', 'peer-tier.js');
    const ports = {
      edge: await freePort(),
      auth: await freePort(),
      order: await freePort(),
      inventory: await freePort(),
      payment: await freePort(),
    };
    const url = (name: keyof typeof ports): string =>
      `127.0.0.1:${ports[name]}`;
    const links: Record<keyof typeof ports, string> = {
      auth: '',
      inventory: '',
      payment: '',
      order: `inventory=${url('inventory')},payment=${url('payment')}`,
      edge: `auth=${url('auth')},order=${url('order')}`,
    };
    const processes: TierProcess[] = [];
    try {
      for (const name of [
        'auth',
        'inventory',
        'payment',
        'order',
        'edge',
      ] as const) {
        const tier = new TierProcess({
          name: `peer-${name}`,
          script,
          env: {
            ...process.env,
            PEER_ROLE: name,
            PEER_PORT: String(ports[name]),
            PEER_LINKS: links[name],
          },
        });
        processes.push(tier);
        await tier.start();
      }
    } catch (error) {
      for (const tier of processes) await tier.stop();
      throw error;
    }
    return new PeerChain(`http://127.0.0.1:${ports.edge}`, processes);
  }

  /** The peer processes, to measure their CPU time. */
  get pids(): number[] {
    return pidsOf(this.processes);
  }

  async stop(): Promise<void> {
    for (const tier of [...this.processes].reverse()) await tier.stop();
  }
}

/** `dist/bench` when running compiled, else `<repo>/dist/bench` (vitest runs the sources). */
function compiledBenchDir(): string {
  const own = join(__dirname, '..');
  return existsSync(join(own, 'peer', 'peer-tier.js'))
    ? own
    : join(repoRoot(), 'dist', 'bench');
}
