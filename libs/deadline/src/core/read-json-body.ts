import type { IncomingHttpHeaders } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { CancelledError } from './cancelled.error.js';
import { DeadlineExceededError } from './deadline-exceeded.error.js';
import { InvalidBodyError } from './invalid-body.error.js';
import { PayloadTooLargeError } from './payload-too-large.error.js';
import { err, ok, type Result } from './result.js';
import { UnsupportedMediaTypeError } from './unsupported-media-type.error.js';

/** A `content-encoding` the reader can undo. `identity` (none) is always taken. */
export type ContentEncoding = 'gzip' | 'deflate' | 'br';
export const CONTENT_ENCODINGS: readonly ContentEncoding[] = [
  'gzip',
  'deflate',
  'br',
];

/** What an edge takes as a request body. */
export interface JsonBodyOptions {
  /** Most bytes read from the wire, as sent (compressed or not); a larger `Content-Length` is refused unread. @default 16384 */
  readonly maxBodyBytes?: number;
  /** Most bytes once the content-encoding is undone: what stops a gzip bomb. @default 65536 */
  readonly maxInflatedBytes?: number;
  /** Content-encodings taken besides `identity` (none); a body with any other, or with two, is refused. @default ['gzip', 'deflate', 'br'] */
  readonly encodings?: readonly ContentEncoding[];
  /** Charsets taken in `Content-Type` (WHATWG labels: `utf-8`, `utf8`, `utf-16le`, …); none stated means UTF-8. @default ['utf-8'] */
  readonly charsets?: readonly string[];
}

export const DEFAULT_JSON_BODY_OPTIONS: Required<JsonBodyOptions> = {
  maxBodyBytes: 16 * 1024,
  maxInflatedBytes: 64 * 1024,
  encodings: CONTENT_ENCODINGS,
  charsets: ['utf-8'],
};

/** A request as the reader needs it: headers, and the body as a byte stream (a Node `IncomingMessage`). */
export type BodySource = Readable & { readonly headers: IncomingHttpHeaders };

export type BodyError =
  InvalidBodyError | PayloadTooLargeError | UnsupportedMediaTypeError;

/** How a body will be read, decided from the headers alone. */
export interface BodyPlan {
  readonly encoding: ContentEncoding | 'identity';
  /** Canonical WHATWG name, e.g. `utf-8`. */
  readonly charset: string;
  /** `Content-Length`, when the body is not chunked. */
  readonly declaredBytes?: number;
}

/** Longest `Content-Type` / `Content-Encoding` value looked at; longer is refused, not scanned. */
const MAX_HEADER_LENGTH = 256;
/** How much of a refused value an error message quotes. */
const QUOTE = 40;
const JSON_TYPE = /^application\/(?:json|[a-z0-9!#$&^_.-]+\+json)$/;

/** Checks options once (at start-up); returns the list of problems, empty when valid. */
export function validateJsonBodyOptions(options: JsonBodyOptions): string[] {
  const problems: string[] = [];
  const { maxBodyBytes, maxInflatedBytes, encodings, charsets } = {
    ...DEFAULT_JSON_BODY_OPTIONS,
    ...options,
  };
  for (const [key, value] of Object.entries({
    maxBodyBytes,
    maxInflatedBytes,
  })) {
    if (!Number.isSafeInteger(value) || value < 1)
      problems.push(`${key} must be a whole number of bytes ≥ 1, got ${value}`);
  }
  for (const encoding of encodings) {
    if (!CONTENT_ENCODINGS.includes(encoding))
      problems.push(
        `encodings: "${encoding}" is not one of ${CONTENT_ENCODINGS.join(', ')}`,
      );
  }
  if (charsets.length === 0) problems.push('charsets must not be empty');
  for (const charset of charsets) {
    if (canonicalCharset(charset) === undefined)
      problems.push(`charsets: "${charset}" is not a known charset label`);
  }
  return problems;
}

/** True when the request says a body follows (`Transfer-Encoding`, or a `Content-Length` above 0). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && !/^0+$/.test(length.trim());
}

/** True while a request that has a body has not been read to its end: answering now must close the connection. */
export function bodyUnread(request: {
  readonly headers: IncomingHttpHeaders;
  readonly complete: boolean;
}): boolean {
  return hasBody(request.headers) && !request.complete;
}

/**
 * Decides from the headers alone, before a byte of the body is read, how the body will be read:
 * `undefined` when there is none, a plan, or why it is refused (media type, charset, encoding, a
 * `Content-Length` above the limit).
 */
export function planBody(
  headers: IncomingHttpHeaders,
  options: JsonBodyOptions = {},
): Result<BodyPlan | undefined, BodyError> {
  if (!hasBody(headers)) return ok(undefined);
  const { maxBodyBytes, encodings, charsets } = {
    ...DEFAULT_JSON_BODY_OPTIONS,
    ...options,
  };

  const type = mediaType(headers['content-type']);
  if (!type.ok) return type;
  const label = type.value.charset ?? 'utf-8';
  const charset = canonicalCharset(label);
  if (
    charset === undefined ||
    !charsets.map(canonicalCharset).includes(charset)
  )
    return err(
      new UnsupportedMediaTypeError(
        'content-type',
        `charset "${quote(label)}" is not taken; send ${charsets.join(' or ')}`,
      ),
    );

  const encoding = contentEncoding(headers['content-encoding'], encodings);
  if (!encoding.ok) return encoding;

  const length = headers['content-length'];
  const declaredBytes =
    length !== undefined && /^\d{1,15}$/.test(length.trim())
      ? Number(length)
      : undefined;
  if (declaredBytes !== undefined && declaredBytes > maxBodyBytes)
    return err(
      new PayloadTooLargeError(
        `body of ${declaredBytes} bytes is larger than the ${maxBodyBytes} bytes taken`,
        maxBodyBytes,
      ),
    );
  return ok({
    encoding: encoding.value,
    charset,
    ...(declaredBytes !== undefined ? { declaredBytes } : {}),
  });
}

/**
 * Reads a request's JSON body, bounded three ways: bytes as sent (`maxBodyBytes`), bytes once
 * decoded (`maxInflatedBytes`), and time — the request's `signal` (its deadline, or the client
 * leaving). Resolves with the parsed value (`undefined` for no body) or why the body is refused;
 * rejects with the signal's reason when it aborts first. The source is never destroyed, so an
 * answer can still be written; reading stops (the stream is paused) once the outcome is known.
 */
export function readJsonBody(
  source: BodySource,
  options: JsonBodyOptions,
  signal: AbortSignal,
): Promise<Result<unknown, BodyError>> {
  const plan = planBody(source.headers, options);
  if (!plan.ok) return Promise.resolve(plan);
  if (plan.value === undefined || source.readableEnded)
    return Promise.resolve(ok(undefined));
  if (signal.aborted)
    return Promise.reject(stopped(signal.reason, 0, plan.value));
  return read(
    source,
    plan.value,
    { ...DEFAULT_JSON_BODY_OPTIONS, ...options },
    signal,
  );
}

function read(
  source: BodySource,
  plan: BodyPlan,
  limits: Required<JsonBodyOptions>,
  signal: AbortSignal,
): Promise<Result<unknown, BodyError>> {
  const maxInflatedBytes =
    plan.encoding === 'identity'
      ? Math.min(limits.maxBodyBytes, limits.maxInflatedBytes)
      : limits.maxInflatedBytes;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let decoded = 0;
    let settled = false;
    const decoder = decoderFor(plan.encoding);

    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onGone);
      source.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (!source.readableEnded) source.pause();
      decoder?.destroy();
      finish();
    };
    const refuse = (error: BodyError): void =>
      settle(() => resolve(err(error)));

    const collect = (chunk: Buffer): void => {
      decoded += chunk.length;
      if (decoded > maxInflatedBytes) {
        refuse(
          new PayloadTooLargeError(
            plan.encoding === 'identity'
              ? `body is larger than the ${maxInflatedBytes} bytes taken`
              : `body inflates past the ${maxInflatedBytes} bytes taken (content-encoding ${plan.encoding})`,
            maxInflatedBytes,
          ),
        );
        return;
      }
      chunks.push(chunk);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limits.maxBodyBytes) {
        refuse(
          new PayloadTooLargeError(
            `body is larger than the ${limits.maxBodyBytes} bytes taken`,
            limits.maxBodyBytes,
          ),
        );
        return;
      }
      if (!decoder) return collect(chunk);
      if (!decoder.write(chunk)) {
        source.pause();
        decoder.once('drain', () => {
          if (!settled) source.resume();
        });
      }
    };
    const parse = (): void =>
      settle(() => resolve(parseJson(Buffer.concat(chunks, decoded), plan)));
    const onEnd = (): void => {
      if (decoder) decoder.end();
      else parse();
    };
    const onGone = (): void =>
      settle(() =>
        reject(
          new CancelledError(
            'the client closed the connection while sending the body',
          ),
        ),
      );
    const onClose = (): void => {
      if (!source.readableEnded) onGone();
    };
    const onAbort = (): void =>
      settle(() => reject(stopped(signal.reason, received, plan)));

    decoder?.on('data', collect);
    decoder?.on('end', parse);
    decoder?.on('error', () =>
      refuse(
        new InvalidBodyError(
          'body',
          `body is not valid ${plan.encoding} data (content-encoding: ${plan.encoding})`,
        ),
      ),
    );
    signal.addEventListener('abort', onAbort, { once: true });
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onGone);
    source.on('close', onClose);
    source.resume();
  });
}

function parseJson(bytes: Buffer, plan: BodyPlan): Result<unknown, BodyError> {
  if (bytes.length === 0) return ok(undefined);
  let text: string;
  try {
    text = new TextDecoder(plan.charset, { fatal: true }).decode(bytes);
  } catch {
    return err(
      new InvalidBodyError('body', `body is not valid ${plan.charset}`),
    );
  }
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (error) {
    return err(new InvalidBodyError('body', jsonProblem(error)));
  }
}

/** JSON.parse's reason without the body it quotes: where it broke, if it says. */
function jsonProblem(error: unknown): string {
  const text = error instanceof Error ? error.message : '';
  const at = /line (\d+) column (\d+)/.exec(text);
  if (at) return `body is not valid JSON (at line ${at[1]}, column ${at[2]})`;
  const position = /position (\d+)/.exec(text);
  if (position)
    return `body is not valid JSON (at character ${Number(position[1]) + 1})`;
  if (/end of JSON input/.test(text))
    return 'body is not valid JSON (it ends too early)';
  return 'body is not valid JSON';
}

/** The signal's reason, saying that the body was still arriving. */
function stopped(reason: unknown, received: number, plan: BodyPlan): Error {
  const of =
    plan.declaredBytes === undefined
      ? `${received} bytes received`
      : `${received} of ${plan.declaredBytes} bytes received`;
  if (DeadlineExceededError.is(reason))
    return new DeadlineExceededError(
      `${reason.message} while reading the request body (${of})`,
      { cause: reason },
    );
  if (CancelledError.is(reason)) return reason;
  return new CancelledError(`reading the request body stopped (${of})`, {
    cause: reason,
  });
}

function mediaType(
  raw: string | undefined,
): Result<{ charset?: string }, UnsupportedMediaTypeError> {
  const refused = (why: string) =>
    err(
      new UnsupportedMediaTypeError(
        'content-type',
        `${why}; send content-type: application/json`,
      ),
    );
  if (raw === undefined) return refused('a body needs a content-type');
  if (raw.length > MAX_HEADER_LENGTH)
    return refused(
      `content-type is longer than ${MAX_HEADER_LENGTH} characters`,
    );
  const [type = '', ...parameters] = raw.split(';');
  const essence = type.trim().toLowerCase();
  if (!JSON_TYPE.test(essence))
    return refused(`content-type "${quote(essence)}" is not JSON`);
  let charset: string | undefined;
  for (const parameter of parameters) {
    const equals = parameter.indexOf('=');
    if (equals < 0) continue;
    const name = parameter.slice(0, equals).trim().toLowerCase();
    if (name !== 'charset' || charset !== undefined) continue;
    charset = parameter
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return ok(charset === undefined ? {} : { charset });
}

function contentEncoding(
  raw: string | undefined,
  taken: readonly ContentEncoding[],
): Result<ContentEncoding | 'identity', UnsupportedMediaTypeError> {
  if (raw === undefined) return ok('identity');
  const refused = (why: string) =>
    err(
      new UnsupportedMediaTypeError(
        'content-encoding',
        `${why}; send one of ${['identity', ...taken].join(', ')}`,
      ),
    );
  if (raw.length > MAX_HEADER_LENGTH)
    return refused(
      `content-encoding is longer than ${MAX_HEADER_LENGTH} characters`,
    );
  const codings = raw
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return ok('identity');
  if (codings.length > 1)
    return refused(`one content-encoding at most, got "${quote(raw)}"`);
  const [coding] = codings;
  return (taken as readonly string[]).includes(coding)
    ? ok(coding as ContentEncoding)
    : refused(`content-encoding "${quote(coding)}" is not taken`);
}

function decoderFor(
  encoding: ContentEncoding | 'identity',
): Transform | undefined {
  switch (encoding) {
    case 'gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

/** The WHATWG name for a charset label (`UTF8` → `utf-8`), or `undefined` for an unknown one. */
function canonicalCharset(label: string): string | undefined {
  if (label.length > QUOTE) return undefined;
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return undefined;
  }
}

const quote = (value: string): string =>
  value.length > QUOTE ? `${value.slice(0, QUOTE)}…` : value;
