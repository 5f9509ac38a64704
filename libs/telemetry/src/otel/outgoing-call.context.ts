import { createContextKey } from '@opentelemetry/api';

/** What the tracing middleware knows about one outgoing call, for the client span it will start. */
export interface OutgoingCallInfo {
  readonly downstream: string;
  readonly method: string;
  /** Position of the callee in the chain. */
  readonly hop: number | undefined;
  /** Budget put on the wire (`grpc-timeout`), ms. */
  readonly budgetMs: number;
  /** Caller's time left when the call started, ms; `null` with no deadline in scope. */
  readonly remainingStartMs: number | null;
  readonly reserveMs: number;
  /** Caller's time left now, ms. */
  readonly remainingMs: () => number | null;
}

/** Context key carrying {@link OutgoingCallInfo} from the middleware to the gRPC client span. */
export const OUTGOING_CALL = createContextKey('deadline-relay.outgoing-call');
