import type {
  Client,
  Metadata,
  MethodDefinition,
  ServiceError,
  StatusObject,
} from '@grpc/grpc-js';
import { DownstreamError } from '../core/downstream.error.js';
import { GrpcStatus } from '../core/grpc-status.js';
import type { UnaryInvoker, UnaryResponse } from './client-middleware.js';
import {
  ERROR_CODE_METADATA_KEY,
  RETRY_AFTER_METADATA_KEY,
} from './metadata-keys.js';

/**
 * The innermost step: one grpc-js unary call with the attempt's budget as its deadline, cancelled
 * on the wire when the attempt's signal aborts. Resolves with the message and both metadata;
 * rejects with the signal's reason when we cancelled it, else a {@link DownstreamError}.
 */
export function unaryTransport(
  raw: Client,
  method: MethodDefinition<unknown, unknown>,
): UnaryInvoker {
  return (call) =>
    new Promise<UnaryResponse>((resolve, reject) => {
      const { signal } = call;
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      let header: Metadata | undefined;
      let failure: ServiceError | undefined;
      let message: unknown;
      const onAbort = (): void => grpcCall.cancel();
      const grpcCall = raw.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        call.request,
        call.metadata,
        Number.isFinite(call.budgetMs)
          ? { deadline: Date.now() + call.budgetMs }
          : {},
        (error: ServiceError | null, response?: unknown) => {
          if (error) failure = error;
          else message = response;
        },
      );
      grpcCall.on('metadata', (metadata: Metadata) => (header = metadata));
      // grpc-js emits 'status' right after the callback, with the trailers: settle there.
      grpcCall.on('status', (status: StatusObject) => {
        signal.removeEventListener('abort', onAbort);
        if (!failure) {
          resolve({
            message,
            header: header ?? status.metadata,
            trailer: status.metadata,
          });
          return;
        }
        // We cancelled it: report why (deadline, caller gone, breaker), not grpc-js's generic CANCELLED.
        reject(
          signal.aborted
            ? signal.reason
            : toDownstreamError(
                failure,
                call.service,
                call.method,
                call.budgetMs,
              ),
        );
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
}

/**
 * A downstream's non-OK status as our error. Streams use it too, with `stream`: their deadline covers
 * the whole call, so running out of it is not "no answer", and says how far the stream got.
 */
export function toDownstreamError(
  error: ServiceError,
  service: string,
  method: string,
  budgetMs: number,
  stream?: { readonly messages: number },
): DownstreamError {
  const reason = error.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  const code =
    error.code in GrpcStatus
      ? (error.code as number as GrpcStatus)
      : GrpcStatus.UNKNOWN;
  if (
    code === GrpcStatus.CANCELLED ||
    (reason === undefined && isBareReset(code, error.details))
  ) {
    // We did not cancel (that path never gets here), so the downstream dropped the call, as a server
    // shutting down does, or its stream ended with no gRPC status at all (a process killed after its
    // GOAWAY). Our caller is still waiting: an unavailable downstream (Envoy answers an upstream reset
    // before a response 503 too), neither a hang-up (499) nor a tier's own failure (502).
    return new DownstreamError(
      GrpcStatus.UNAVAILABLE,
      undefined,
      code === GrpcStatus.CANCELLED
        ? 'the downstream cancelled the call'
        : 'the downstream reset the call without answering',
      service,
      method,
      undefined,
      error.metadata,
    );
  }
  // grpc-js's own texts name internal addresses; say what happened in our terms instead.
  // (A downstream that answered itself sent its error code as a trailer: keep its words then.)
  const details =
    typeof reason === 'string'
      ? (error.details ?? '')
      : code === GrpcStatus.DEADLINE_EXCEEDED
        ? stream
          ? `the stream ran to the end of its ${Math.round(budgetMs)} ms budget (${stream.messages} ${stream.messages === 1 ? 'message' : 'messages'} received)`
          : `no answer within its ${Math.round(budgetMs)} ms budget`
        : code === GrpcStatus.UNAVAILABLE
          ? 'unavailable'
          : (error.details ?? '');
  const retryAfter = Number(error.metadata?.get(RETRY_AFTER_METADATA_KEY)[0]);
  return new DownstreamError(
    code,
    typeof reason === 'string' ? reason : undefined,
    details,
    service,
    method,
    Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    error.metadata,
  );
}

/**
 * grpc-js's status for an HTTP/2 stream that closed with no gRPC status from the server: RST_STREAM
 * NO_ERROR ("Call ended without gRPC status") or INTERNAL_ERROR ("Internal server error"). Its
 * retrying layer drops the `rstCode`, so its (deliberately stable) text is what tells; a reset that
 * grpc-js blames on its own side ("triggered by internal client error") stays INTERNAL.
 */
function isBareReset(code: GrpcStatus, details: string | undefined): boolean {
  return code === GrpcStatus.INTERNAL && BARE_RESET.test(details ?? '');
}

const BARE_RESET =
  /^Received RST_STREAM with code \d+ \((Call ended without gRPC status|Internal server error)\)$/;
