import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from '@nestjs/common';
import express from 'express';
import { Observable } from 'rxjs';
import type { StreamRecord } from '../core/stream-record.js';
import { interceptEventStream, type SseEvent } from './sse-deadline.js';

// A real HTTP server on port 0 (express, as under Nest) whose one route is an event stream served by
// interceptEventStream, fed by a source that pushes an event every millisecond until unsubscribed.
const EVENT_BYTES = 64 * 1024;
const MAX_BUFFERED_BYTES = 256 * 1024;

describe(interceptEventStream.name, () => {
  let server: http.Server;
  let url: string;
  let ends: StreamRecord[] = [];
  /** The source's state: events pushed, and whether it was unsubscribed. */
  let source = { pushed: 0, stopped: false, pushedAfterStop: 0 };
  let count = Infinity;

  const events = (): Observable<SseEvent> =>
    new Observable<SseEvent>((subscriber) => {
      const timer = setInterval(() => {
        if (source.stopped) source.pushedAfterStop++;
        if (source.pushed >= count) return subscriber.complete();
        source.pushed++;
        subscriber.next({
          event: 'tick',
          data: { pad: 'x'.repeat(EVENT_BYTES) },
        });
      }, 1);
      return () => {
        source.stopped = true;
        clearInterval(timer);
      };
    });

  beforeAll(async () => {
    const app = express();
    app.get('/events', (request, response) => {
      const context = {
        switchToHttp: () => ({
          getRequest: () => request,
          getResponse: () => response,
        }),
      } as unknown as ExecutionContext;
      interceptEventStream(
        context,
        { handle: events },
        {
          service: 'edge',
          policy: {
            defaultBudgetMs: 30_000,
            maxBudgetMs: 60_000,
            minBudgetMs: 1,
          },
          maxBufferedBytes: MAX_BUFFERED_BYTES,
          onRequestEnd: () => undefined,
          onStreamEnd: (record) => ends.push(record),
        },
      ).subscribe();
    });
    server = http.createServer(app);
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    ends = [];
    source = { pushed: 0, stopped: false, pushedAfterStop: 0 };
  });

  /** Opens the stream; the body is read only once `read()` is called, as a reader that stalls. */
  function open(): Promise<{ read: () => Promise<string> }> {
    return new Promise((resolve, reject) => {
      http
        .get(url, (response) => {
          response.pause();
          resolve({
            read: () =>
              new Promise((done, failed) => {
                let body = '';
                response.setEncoding('utf8');
                response.on('data', (chunk: string) => (body += chunk));
                response.on('end', () => done(body));
                response.on('error', failed);
                response.resume();
              }),
          });
        })
        .on('error', reject);
    });
  }

  const lastEvent = (body: string) => {
    const blocks = body.trim().split('\n\n');
    const fields = new Map(
      blocks
        .at(-1)!
        .split('\n')
        .map((line) => [
          line.slice(0, line.indexOf(':')),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
    );
    return {
      blocks: blocks.length,
      event: fields.get('event'),
      retry: fields.get('retry'),
      data: JSON.parse(fields.get('data')!) as Record<string, unknown>,
    };
  };

  it('ends the stream of a reader that falls behind its buffer limit with a slow_consumer event, and stops the source', async () => {
    count = Infinity;
    const stream = await open();
    await vi.waitFor(() => expect(ends).toHaveLength(1), { timeout: 20_000 });
    expect(ends[0]).toMatchObject({ end: 'slow_consumer', side: 'server' });
    expect(source.stopped).toBe(true);
    expect(source.pushedAfterStop).toBe(0);

    const body = await stream.read();
    const last = lastEvent(body);
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({
      statusCode: 429,
      error: 'slow_consumer',
      reconnect: true,
    });
    expect(last.data.message).toContain(`${MAX_BUFFERED_BYTES} bytes`);
    expect(last.retry).toBe('1000');
    // Every event the source pushed was delivered before the final one: none dropped, none after it.
    expect(last.blocks).toBe(source.pushed + 1);
  }, 30_000);

  it('lets a reader that keeps up have every event and the end', async () => {
    count = 20;
    const stream = await open();
    const body = await stream.read();
    const last = lastEvent(body);
    expect(last.event).toBe('end');
    expect(last.blocks).toBe(21);
    expect(ends[0]).toMatchObject({ end: 'completed', messages: 20 });
  });
});
