import { createServer, connect, type Server, type Socket } from 'node:net';

/** Network faults of a {@link FaultProxy}, switchable while it runs. */
export interface NetworkFaults {
  /** Added to every chunk travelling client → upstream, in ms. @default 0 */
  readonly upstreamLatencyMs?: number;
  /** Added to every chunk travelling upstream → client, in ms. @default 0 */
  readonly downstreamLatencyMs?: number;
  /** Each direction's throughput ceiling, in bytes per second. @default unlimited */
  readonly bandwidthBytesPerSec?: number;
  /**
   * `pass` forwards bytes unchanged; `blackhole` accepts connections and reads but never
   * forwards (a peer that went silent); `reset` resets every connection, open and new. @default 'pass'
   */
  readonly mode?: 'pass' | 'blackhole' | 'reset';
}

export interface FaultProxyOptions {
  /** Where bytes go. */
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  /** @default '127.0.0.1' */
  readonly listenHost?: string;
  /** @default 0 (a free port) */
  readonly listenPort?: number;
  readonly faults?: NetworkFaults;
  /** Queued bytes per direction past which the sender is paused. @default 1 MiB */
  readonly highWaterBytes?: number;
}

export interface FaultProxyStats {
  readonly openConnections: number;
  readonly acceptedConnections: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
}

/**
 * A Toxiproxy-style TCP proxy on `node:net`, for a slow or broken *network* between two tiers
 * (this kernel has no `netem`). Bytes pass unchanged, so HTTP/2 and gRPC work through it;
 * latency, bandwidth, blackhole and reset switch at run time with {@link set}.
 */
export class FaultProxy {
  private server: Server | undefined;
  private faults: Required<Omit<NetworkFaults, 'bandwidthBytesPerSec'>> &
    Pick<NetworkFaults, 'bandwidthBytesPerSec'>;
  private readonly connections = new Set<{
    client: Socket;
    upstream: Socket | undefined;
  }>();
  private accepted = 0;
  private bytesUp = 0;
  private bytesDown = 0;

  constructor(private readonly options: FaultProxyOptions) {
    this.faults = normalise(options.faults);
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(
        this.options.listenPort ?? 0,
        this.options.listenHost ?? '127.0.0.1',
        () => {
          server.off('error', reject);
          resolve();
        },
      );
    });
    return this.port;
  }

  get port(): number {
    const address = this.server?.address();
    if (!address || typeof address === 'string')
      throw new Error('FaultProxy is not listening');
    return address.port;
  }

  /** `host:port` to give the caller instead of the upstream's address. */
  get address(): string {
    return `${this.options.listenHost ?? '127.0.0.1'}:${this.port}`;
  }

  get current(): NetworkFaults {
    return { ...this.faults };
  }

  stats(): FaultProxyStats {
    return {
      openConnections: this.connections.size,
      acceptedConnections: this.accepted,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
    };
  }

  /** Replaces the faults (omitted fields go back to their defaults). `reset` resets open connections at once. */
  set(faults: NetworkFaults): void {
    this.faults = normalise(faults);
    if (this.faults.mode === 'reset')
      for (const connection of [...this.connections])
        this.resetConnection(connection);
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    for (const connection of [...this.connections])
      this.resetConnection(connection);
    const server = this.server;
    this.server = undefined;
    if (server)
      await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (this.faults.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const connection: { client: Socket; upstream: Socket | undefined } = {
      client,
      upstream: undefined,
    };
    this.connections.add(connection);
    client.setNoDelay(true);
    const close = (): void => {
      this.connections.delete(connection);
      client.destroy();
      connection.upstream?.destroy();
    };
    client.on('error', close);
    client.on('close', close);
    if (this.faults.mode === 'blackhole') {
      // Read and drop: the peer sees an open connection that never answers.
      client.on('data', () => undefined);
      return;
    }
    const upstream = connect({
      host: this.options.upstreamHost,
      port: this.options.upstreamPort,
    });
    connection.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', close);
    upstream.on('close', close);
    this.pipe(client, upstream, 'up');
    this.pipe(upstream, client, 'down');
  }

  /** Forwards `from` → `to` through a per-direction queue that adds latency and paces bandwidth, in order. */
  private pipe(from: Socket, to: Socket, direction: 'up' | 'down'): void {
    const highWater = this.options.highWaterBytes ?? 1 << 20;
    const queue: { releaseAt: number; chunk: Buffer }[] = [];
    let queuedBytes = 0;
    let lastReleaseAt = 0;
    let timer: NodeJS.Timeout | undefined;

    const flush = (): void => {
      timer = undefined;
      const now = performance.now();
      while (queue.length && queue[0].releaseAt <= now) {
        const { chunk } = queue.shift()!;
        queuedBytes -= chunk.length;
        if (!to.destroyed) to.write(chunk);
      }
      if (queuedBytes < highWater && from.isPaused()) from.resume();
      if (queue.length)
        timer = setTimeout(flush, Math.max(0, queue[0].releaseAt - now));
    };

    from.on('data', (chunk: Buffer) => {
      if (direction === 'up') this.bytesUp += chunk.length;
      else this.bytesDown += chunk.length;
      const { mode, bandwidthBytesPerSec } = this.faults;
      if (mode === 'blackhole') return;
      const latencyMs =
        direction === 'up'
          ? this.faults.upstreamLatencyMs
          : this.faults.downstreamLatencyMs;
      const now = performance.now();
      if (!latencyMs && !bandwidthBytesPerSec && !queue.length) {
        to.write(chunk);
        return;
      }
      const paced = bandwidthBytesPerSec
        ? Math.max(now, lastReleaseAt) +
          (chunk.length / bandwidthBytesPerSec) * 1_000
        : now;
      const releaseAt = Math.max(now + latencyMs, paced);
      lastReleaseAt = releaseAt;
      queue.push({ releaseAt, chunk });
      queuedBytes += chunk.length;
      if (queuedBytes >= highWater) from.pause();
      if (!timer)
        timer = setTimeout(flush, Math.max(0, queue[0].releaseAt - now));
    });
    from.on('end', () => {
      // Half-close after the queued bytes have gone.
      const finish = (): void => {
        if (queue.length) setTimeout(finish, 5);
        else to.end();
      };
      finish();
    });
    from.on('close', () => {
      if (timer) clearTimeout(timer);
      queue.length = 0;
    });
  }

  private resetConnection(connection: {
    client: Socket;
    upstream: Socket | undefined;
  }): void {
    this.connections.delete(connection);
    if (!connection.client.destroyed) connection.client.resetAndDestroy();
    if (connection.upstream && !connection.upstream.destroyed)
      connection.upstream.resetAndDestroy();
  }
}

function normalise(
  faults: NetworkFaults = {},
): Required<Omit<NetworkFaults, 'bandwidthBytesPerSec'>> &
  Pick<NetworkFaults, 'bandwidthBytesPerSec'> {
  const bad = (value: number | undefined): boolean =>
    value !== undefined && (!Number.isFinite(value) || value < 0);
  if (bad(faults.upstreamLatencyMs) || bad(faults.downstreamLatencyMs))
    throw new RangeError('latency must be a finite number of ms ≥ 0');
  if (
    faults.bandwidthBytesPerSec !== undefined &&
    !(
      faults.bandwidthBytesPerSec > 0 &&
      Number.isFinite(faults.bandwidthBytesPerSec)
    )
  )
    throw new RangeError('bandwidthBytesPerSec must be > 0');
  if (
    faults.mode !== undefined &&
    !['pass', 'blackhole', 'reset'].includes(faults.mode)
  )
    throw new RangeError('mode must be pass, blackhole or reset');
  return {
    upstreamLatencyMs: faults.upstreamLatencyMs ?? 0,
    downstreamLatencyMs: faults.downstreamLatencyMs ?? 0,
    bandwidthBytesPerSec: faults.bandwidthBytesPerSec,
    mode: faults.mode ?? 'pass',
  };
}
