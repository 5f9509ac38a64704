import { GrpcStatus } from './grpc-status.js';
import { failureOf } from './failure.js';
import type { HopOutcome } from './hop-record.js';
import { SlowConsumerError } from './slow-consumer.error.js';
import { StreamIdleError } from './stream-idle.error.js';

/** How a stream ended, in one word. `unavailable`: the server went away or drained (reconnect). */
export type StreamEnd =
  'completed' | 'idle_timeout' | 'slow_consumer' | 'unavailable' | HopOutcome;

/** Which way messages flow: the four gRPC call types (server-sent events at the edge are `server`). */
export type StreamKind = 'server' | 'client' | 'bidi';

/**
 * One stream's line beside the unary hop records: the budget it ran with, when its first message
 * came, how many it carried and how it ended. Told to `onStreamEnd` hooks (logs, metrics, spans).
 */
export interface StreamRecord {
  readonly service: string;
  readonly method: string;
  readonly kind: StreamKind;
  /** `client` for a stream this process opened, `server` for one it served. */
  readonly side: 'client' | 'server';
  /** The whole-call budget; `null` when the caller sent none. */
  readonly budgetMs: number | null;
  /** From the start to the first message (sent by a server, received by a client); `null` if none came. */
  readonly firstMessageMs: number | null;
  /** Messages in the direction that matters (received by a client, sent by a server). */
  readonly messages: number;
  readonly durationMs: number;
  readonly end: StreamEnd;
  /** The failure, as text. */
  readonly reason?: string;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** Rounds the times of a record to hundredths of a millisecond, as hop records are. */
export function streamRecord(record: StreamRecord): StreamRecord {
  return {
    ...record,
    budgetMs: record.budgetMs === null ? null : round(record.budgetMs),
    firstMessageMs:
      record.firstMessageMs === null ? null : round(record.firstMessageMs),
    durationMs: round(record.durationMs),
  };
}

/** How a stream that ended with `error` (or without, `undefined`) ended, in one word. */
export function streamEndOf(error: unknown): StreamEnd {
  if (error === undefined) return 'completed';
  if (StreamIdleError.is(error)) return 'idle_timeout';
  if (SlowConsumerError.is(error)) return 'slow_consumer';
  const failure = failureOf(error);
  if (failure.status === GrpcStatus.UNAVAILABLE) return 'unavailable';
  return failure.outcome;
}
