import { createServer, connect, type Server, type Socket } from 'node:net';
import { FaultProxy } from './fault-proxy.js';

/** A real TCP echo server on a free port: the proxy's upstream. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  // A reset from the proxy is expected in some tests; the echo side just lets go.
  const server = createServer((socket) =>
    socket.on('error', () => socket.destroy()).pipe(socket),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Sends `bytes` through the proxy and resolves once all came back, with the time it took. */
function roundTrip(
  port: number,
  bytes: Buffer,
): Promise<{ ms: number; echoed: Buffer }> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const chunks: Buffer[] = [];
    let received = 0;
    const socket: Socket = connect(port, '127.0.0.1', () =>
      socket.write(bytes),
    );
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= bytes.length) {
        socket.destroy();
        resolve({
          ms: performance.now() - startedAt,
          echoed: Buffer.concat(chunks),
        });
      }
    });
    socket.on('error', reject);
  });
}

describe(FaultProxy.name, () => {
  let upstream: { server: Server; port: number };
  let sut: FaultProxy;

  beforeEach(async () => {
    upstream = await echoServer();
    sut = new FaultProxy({
      upstreamHost: '127.0.0.1',
      upstreamPort: upstream.port,
    });
    await sut.start();
  });

  afterEach(async () => {
    await sut.stop();
    await new Promise((resolve) => upstream.server.close(resolve));
  });

  it('passes bytes through unchanged', async () => {
    const bytes = Buffer.from(
      Array.from({ length: 100_000 }, (_, i) => i % 251),
    );
    const { echoed } = await roundTrip(sut.port, bytes);
    expect(echoed.equals(bytes)).toBe(true);
  });

  it('adds latency in each direction', async () => {
    sut.set({ upstreamLatencyMs: 150, downstreamLatencyMs: 150 });
    const { ms } = await roundTrip(sut.port, Buffer.from('ping'));
    expect(ms).toBeGreaterThanOrEqual(290);
  });

  it('limits bandwidth, keeping the bytes in order', async () => {
    sut.set({ bandwidthBytesPerSec: 100_000 });
    const bytes = Buffer.from(
      Array.from({ length: 40_000 }, (_, i) => i % 256),
    );
    const { ms, echoed } = await roundTrip(sut.port, bytes);
    expect(echoed.equals(bytes)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(380);
  });

  it('refuses bad settings with a reason', () => {
    expect(() => sut.set({ upstreamLatencyMs: -1 })).toThrow(
      'latency must be a finite number of ms ≥ 0',
    );
    expect(() => sut.set({ bandwidthBytesPerSec: 0 })).toThrow(
      'bandwidthBytesPerSec must be > 0',
    );
  });

  it('resets new connections in reset mode', async () => {
    sut.set({ mode: 'reset' });
    await expect(roundTrip(sut.port, Buffer.from('x'))).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
  });
});
