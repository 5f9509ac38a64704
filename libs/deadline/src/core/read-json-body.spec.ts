import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { CancelledError } from './cancelled.error.js';
import { DeadlineExceededError } from './deadline-exceeded.error.js';
import { InvalidBodyError } from './invalid-body.error.js';
import { PayloadTooLargeError } from './payload-too-large.error.js';
import {
  type BodySource,
  bodyUnread,
  type JsonBodyOptions,
  planBody,
  readJsonBody,
  validateJsonBodyOptions,
} from './read-json-body.js';
import { UnsupportedMediaTypeError } from './unsupported-media-type.error.js';

const JSON_TYPE = { 'content-type': 'application/json' };

/** A request as Node hands it over: headers, then the body's bytes (left open when `end` is false). */
function request(
  headers: IncomingHttpHeaders,
  body?: Buffer | string,
  { end = true, length = true } = {},
): BodySource {
  const bytes = body === undefined ? undefined : Buffer.from(body);
  const source = new PassThrough() as PassThrough & {
    headers: IncomingHttpHeaders;
  };
  source.headers = {
    ...(bytes && length ? { 'content-length': String(bytes.length) } : {}),
    ...(bytes && !length ? { 'transfer-encoding': 'chunked' } : {}),
    ...headers,
  };
  if (bytes) source.write(bytes);
  if (end) source.end();
  return source;
}

const read = (
  source: BodySource,
  options: JsonBodyOptions = {},
  signal = new AbortController().signal,
) => readJsonBody(source, options, signal);

async function refusal(promise: ReturnType<typeof read>): Promise<Error> {
  const result = await promise;
  if (result.ok) throw new Error(`read ${JSON.stringify(result.value)}`);
  return result.error;
}

describe(readJsonBody.name, () => {
  it('reads a JSON body', async () => {
    await expect(
      read(request(JSON_TYPE, '{"sku":"espresso","quantity":1}')),
    ).resolves.toEqual({ ok: true, value: { sku: 'espresso', quantity: 1 } });
  });

  it('reads no body as undefined, whatever the headers say of its type', async () => {
    await expect(read(request({}))).resolves.toEqual({
      ok: true,
      value: undefined,
    });
    await expect(
      read(request({ 'content-type': 'text/plain', 'content-length': '0' })),
    ).resolves.toEqual({ ok: true, value: undefined });
  });

  it('reads any JSON value: the shape is the caller’s to check', async () => {
    for (const [text, value] of [
      ['null', null],
      ['"x"', 'x'],
      ['42', 42],
    ] as const)
      await expect(read(request(JSON_TYPE, text))).resolves.toEqual({
        ok: true,
        value,
      });
  });

  it.each([
    ['truncated', '{"sku":"espresso"'],
    ['unquoted keys', '{sku:"espresso"}'],
    ['a trailing comma', '{"sku":"espresso",}'],
    ['NaN', '{"quantity":NaN}'],
    ['nothing but spaces', '   '],
    ['two values', '{} {}'],
  ])(
    'refuses JSON with %s as invalid_body, without quoting the body back',
    async (_, text) => {
      const error = await refusal(read(request(JSON_TYPE, text)));
      expect(error).toBeInstanceOf(InvalidBodyError);
      expect(error).toMatchObject({ field: 'body' });
      expect(error.message).toMatch(/^body is not valid JSON/);
      expect(error.message).not.toContain('espresso');
      expect(error.message).not.toContain('NaN');
    },
  );

  it('says where JSON broke when JSON.parse says', async () => {
    const error = await refusal(read(request(JSON_TYPE, '{"a":1,}')));
    expect(error.message).toBe('body is not valid JSON (at line 1, column 8)');
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('undoes content-encoding %s', async (encoding, compress) => {
    await expect(
      read(
        request(
          { ...JSON_TYPE, 'content-encoding': encoding },
          compress('{"quantity":2}'),
        ),
      ),
    ).resolves.toEqual({ ok: true, value: { quantity: 2 } });
  });

  it('refuses a body that is not what its content-encoding says as invalid_body', async () => {
    const error = await refusal(
      read(
        request({ ...JSON_TYPE, 'content-encoding': 'gzip' }, '{"quantity":2}'),
      ),
    );
    expect(error).toEqual(
      new InvalidBodyError(
        'body',
        'body is not valid gzip data (content-encoding: gzip)',
      ),
    );
  });

  it('stops a gzip bomb at the inflated limit, small as it is on the wire', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const error = await refusal(
      read(request({ ...JSON_TYPE, 'content-encoding': 'gzip' }, bomb), {
        maxBodyBytes: 100 * 1024,
        maxInflatedBytes: 64 * 1024,
      }),
    );
    expect(error).toEqual(
      new PayloadTooLargeError(
        'body inflates past the 65536 bytes taken (content-encoding gzip)',
        65_536,
      ),
    );
  });

  it('refuses a Content-Length above the limit without reading a byte', async () => {
    const source = request(JSON_TYPE, 'x'.repeat(200), { end: false });
    const error = await refusal(read(source, { maxBodyBytes: 100 }));
    expect(error).toEqual(
      new PayloadTooLargeError(
        'body of 200 bytes is larger than the 100 bytes taken',
        100,
      ),
    );
    expect(source.readableLength).toBe(200);
  });

  it('stops a chunked body at the limit as it arrives', async () => {
    const error = await refusal(
      read(request(JSON_TYPE, `"${'x'.repeat(200)}"`, { length: false }), {
        maxBodyBytes: 100,
      }),
    );
    expect(error).toBeInstanceOf(PayloadTooLargeError);
  });

  it.each([
    [{ 'content-encoding': 'zstd2' }, 'content-encoding', 'zstd2'],
    [{ 'content-encoding': 'gzip, br' }, 'content-encoding', 'one'],
    [{ 'content-type': 'text/plain' }, 'content-type', 'is not JSON'],
    [{ 'content-type': undefined }, 'content-type', 'needs a content-type'],
    [
      { 'content-type': 'application/json; charset=foo' },
      'content-type',
      'charset "foo"',
    ],
    [
      { 'content-type': 'application/json; charset=latin1' },
      'content-type',
      'charset "latin1"',
    ],
    [
      { 'content-type': `application/json; x=${'y'.repeat(300)}` },
      'content-type',
      'longer than 256',
    ],
  ])(
    'refuses %j as unsupported_media_type naming the header',
    async (headers, field, reason) => {
      const error = await refusal(
        read(request({ ...JSON_TYPE, ...headers }, '{}')),
      );
      expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
      expect(error).toMatchObject({ field });
      expect(error.message).toContain(reason);
    },
  );

  it('takes identity, a +json media type and the charset as any label of UTF-8', async () => {
    for (const contentType of [
      'application/problem+json',
      'Application/JSON; Charset="UTF-8"',
      'application/json; charset=utf8',
    ])
      await expect(
        read(
          request(
            { 'content-type': contentType, 'content-encoding': 'identity' },
            '{}',
          ),
        ),
      ).resolves.toEqual({ ok: true, value: {} });
  });

  it('decodes another charset when it is taken, and refuses bytes invalid in theirs', async () => {
    await expect(
      read(
        request(
          { 'content-type': 'application/json; charset=utf-16le' },
          Buffer.from('{"a":"é"}', 'utf16le'),
        ),
        { charsets: ['utf-8', 'utf-16le'] },
      ),
    ).resolves.toEqual({ ok: true, value: { a: 'é' } });
    const error = await refusal(
      read(request(JSON_TYPE, Buffer.from([0x22, 0xff, 0x22]))),
    );
    expect(error).toEqual(
      new InvalidBodyError('body', 'body is not valid utf-8'),
    );
  });

  it('stops at the deadline while the body is still arriving, saying how much came', async () => {
    const source = request(
      { ...JSON_TYPE, 'content-length': '100' },
      '{"sku":',
      { end: false },
    );
    const controller = new AbortController();
    const reading = read(source, {}, controller.signal);
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(
      new DeadlineExceededError('deadline exceeded after 1000 ms'),
    );
    const error = await reading.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toEqual(
      new DeadlineExceededError(
        'deadline exceeded after 1000 ms while reading the request body (7 of 100 bytes received)',
      ),
    );
    // The request stays usable for the answer: paused, not destroyed.
    expect(source.destroyed).toBe(false);
    expect(source.isPaused()).toBe(true);
  });

  it('ends as cancelled when the client leaves mid-body', async () => {
    const source = request(
      { ...JSON_TYPE, 'content-length': '100' },
      '{"sku":',
      { end: false },
    );
    const reading = read(source);
    await new Promise((resolve) => setImmediate(resolve));
    source.destroy();
    await expect(reading).rejects.toBeInstanceOf(CancelledError);
  });

  it('does not start reading once the deadline has passed', async () => {
    const controller = new AbortController();
    controller.abort(new DeadlineExceededError('late'));
    await expect(
      read(request(JSON_TYPE, '{}'), {}, controller.signal),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
  });
});

describe(planBody.name, () => {
  it('plans the decoding from the headers alone', () => {
    expect(
      planBody({
        'content-type': 'application/json; charset=UTF-8',
        'content-encoding': 'GZIP',
        'content-length': '42',
      }),
    ).toEqual({
      ok: true,
      value: { encoding: 'gzip', charset: 'utf-8', declaredBytes: 42 },
    });
  });

  it('refuses an encoding left out of the options', () => {
    const result = planBody(
      { ...JSON_TYPE, 'content-encoding': 'br', 'content-length': '2' },
      { encodings: ['gzip'] },
    );
    expect(!result.ok && result.error.message).toBe(
      'content-encoding "br" is not taken; send one of identity, gzip',
    );
  });
});

describe(bodyUnread.name, () => {
  it('is true only for a request with a body not read to its end', () => {
    expect(bodyUnread({ headers: {}, complete: false })).toBe(false);
    expect(
      bodyUnread({ headers: { 'content-length': '0' }, complete: false }),
    ).toBe(false);
    expect(
      bodyUnread({ headers: { 'content-length': '5' }, complete: false }),
    ).toBe(true);
    expect(
      bodyUnread({
        headers: { 'transfer-encoding': 'chunked' },
        complete: true,
      }),
    ).toBe(false);
  });
});

describe(validateJsonBodyOptions.name, () => {
  it('accepts the defaults', () => {
    expect(validateJsonBodyOptions({})).toEqual([]);
  });

  it('lists every problem at once', () => {
    expect(
      validateJsonBodyOptions({
        maxBodyBytes: 0,
        encodings: ['zstd' as never],
        charsets: ['klingon'],
      }),
    ).toEqual([
      'maxBodyBytes must be a whole number of bytes ≥ 1, got 0',
      'encodings: "zstd" is not one of gzip, deflate, br',
      'charsets: "klingon" is not a known charset label',
    ]);
  });
});
