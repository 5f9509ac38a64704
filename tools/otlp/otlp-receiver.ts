import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The smallest stand-in for an OpenTelemetry Collector's OTLP/HTTP receiver (`POST /v1/traces`,
 * JSON encoding, what `@opentelemetry/exporter-trace-otlp-http` sends), so the tiers really
 * serialize and send their spans. It counts them; `onExport` gets each body to look inside.
 * Other encodings get 415, so a receiver that would count nothing says so.
 */
export class OtlpReceiver {
  /** Content types the exports came with. */
  readonly contentTypes = new Set<string>();
  private spanCount = 0;
  private readonly server: Server;

  private constructor(onExport: (body: string) => void) {
    this.server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        if (request.method !== 'POST' || request.url !== '/v1/traces') {
          response.writeHead(404).end();
          return;
        }
        const contentType = String(request.headers['content-type']);
        this.contentTypes.add(contentType);
        if (
          contentType !== 'application/json' ||
          request.headers['content-encoding']
        ) {
          response.writeHead(415).end();
          return;
        }
        // One "spanId" key per span (links aside): counting is enough, and cheap beside the tiers.
        for (
          let at = body.indexOf('"spanId"');
          at !== -1;
          at = body.indexOf('"spanId"', at + 8)
        )
          this.spanCount++;
        onExport(body);
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{}');
      });
    });
  }

  static async start(
    onExport: (body: string) => void = () => undefined,
  ): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver(onExport);
    await new Promise<void>((resolve) =>
      receiver.server.listen(0, '127.0.0.1', resolve),
    );
    return receiver;
  }

  /** Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Spans received so far. */
  get spans(): number {
    return this.spanCount;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
