import { Logger } from '@nestjs/common';
import type { RequestEndEvent } from './deadline.options.js';

const logger = new Logger('Deadline');

/** Default {@link DeadlineModuleOptions.onRequestEnd}: one structured line per request. */
export function logRequestEnd(event: RequestEndEvent): void {
  const { hops: _hops, ...fields } = event; // the per-hop table is for tracers, not the log line
  const line = {
    msg: 'request ended',
    ...fields,
    spentMs: round(event.spentMs),
    remainingMs: round(event.remainingMs),
  };
  if (event.outcome === 'ok') logger.log(line);
  else logger.warn(line);
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
