import type { HopRecord } from './hop-record.js';
import type { StreamRecord } from './stream-record.js';

/** One line per request per tier: how its deadline was spent and how it ended. */
export interface RequestEndEvent extends HopRecord {
  readonly hop: number;
  /** Milliseconds left when the work ended (0 once aborted). */
  readonly remainingMs: number;
  /** True when the deadline's signal aborted while the handler was running. */
  readonly aborted: boolean;
  /** The abort or failure reason, as text. */
  readonly reason?: string;
  /** Every hop's record, this tier's first, then what its downstreams sent back (set at the HTTP edge, for tracing). */
  readonly hops?: readonly HopRecord[];
  /** Set when the request was a stream: time to first message, messages, how it ended. */
  readonly stream?: StreamRecord;
}
