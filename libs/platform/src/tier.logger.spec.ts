import { Writable } from 'node:stream';
import { ConsoleLogger, Logger, type LogLevel } from '@nestjs/common';
import { TierLogger } from './tier.logger.js';

/** A logger writing into arrays instead of file descriptors 1 and 2. */
function capture(
  options: { format?: 'json' | 'pretty'; levels?: LogLevel[] } = {},
): { sut: TierLogger; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sut = new TierLogger({
    service: 'order',
    ...options,
    stdout: { write: (line) => stdout.push(line) },
    stderr: { write: (line) => stderr.push(line) },
  });
  return { sut, stdout, stderr };
}

const parsed = (lines: readonly string[]): Record<string, unknown>[] =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>);

/** The request-end line as libs/telemetry's hook logs it. */
const requestEnded = {
  msg: 'request ended',
  service: 'order',
  method: 'PlaceOrder',
  hop: 1,
  receivedBudgetMs: 4990,
  forwardedBudgetMs: 4980,
  spentMs: 12.3,
  outcome: 'ok',
  remainingMs: 4977.7,
  aborted: false,
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
};

describe(TierLogger.name, () => {
  afterEach(() => Logger.overrideLogger(new ConsoleLogger()));

  it('writes one JSON object per line with time, level, service, context and msg', () => {
    const { sut, stdout } = capture();
    sut.log('listening', 'Bootstrap');
    expect(stdout).toHaveLength(1);
    expect(stdout[0]).toMatch(/^\{.*\}\n$/);
    const [line] = parsed(stdout);
    expect(line).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'log',
      service: 'order',
      context: 'Bootstrap',
      msg: 'listening',
    });
    expect(Date.parse(line.time as string)).toBeCloseTo(Date.now(), -4);
  });

  it('merges the fields of an object message into the line', () => {
    const { sut, stdout } = capture();
    sut.log({ msg: 'listening', url: '127.0.0.1:50052', protocol: 'grpc' });
    expect(parsed(stdout)[0]).toMatchObject({
      service: 'order',
      msg: 'listening',
      url: '127.0.0.1:50052',
      protocol: 'grpc',
    });
  });

  it('writes the request-end line with every field and a single service key', () => {
    const { sut, stdout } = capture();
    sut.log(requestEnded, 'Deadline');
    expect(parsed(stdout)[0]).toEqual({
      time: expect.any(String),
      level: 'log',
      context: 'Deadline',
      ...requestEnded,
    });
    expect(stdout[0].match(/"service":/g)).toHaveLength(1);
  });

  it('keeps a service named by the message when it is not the logger’s', () => {
    const { sut, stdout } = capture();
    sut.log({ msg: 'relayed', service: 'payment' });
    expect(parsed(stdout)[0].service).toBe('payment');
  });

  it('leaves the context out when no string argument names one', () => {
    const { sut, stdout } = capture();
    sut.log('started');
    sut.log('started', { not: 'a context' });
    for (const line of parsed(stdout))
      expect(line).not.toHaveProperty('context');
  });

  it('takes the last string argument as the context', () => {
    const { sut, stdout } = capture();
    sut.warn('slow', 'ignored', 'Breaker');
    expect(parsed(stdout)[0]).toMatchObject({
      level: 'warn',
      context: 'Breaker',
    });
  });

  it('reads the context of a Nest Logger instance', () => {
    const { sut, stdout } = capture();
    Logger.overrideLogger(sut);
    new Logger('Deadline').log({ msg: 'request ended', outcome: 'ok' });
    new Logger('Deadline').warn('late');
    expect(parsed(stdout)).toMatchObject([
      { context: 'Deadline', msg: 'request ended', outcome: 'ok' },
      { context: 'Deadline', msg: 'late', level: 'warn' },
    ]);
  });

  it('writes a non-string message as text', () => {
    const { sut, stdout } = capture();
    sut.log(42);
    expect(parsed(stdout)[0].msg).toBe('42');
  });

  it('sends error and fatal to stderr, the other levels to stdout', () => {
    const { sut, stdout, stderr } = capture({
      levels: ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'],
    });
    for (const level of ['verbose', 'debug', 'log', 'warn'] as const)
      sut[level](level);
    sut.error('error');
    sut.fatal('fatal');
    expect(parsed(stdout).map((l) => [l.level, l.msg])).toEqual([
      ['verbose', 'verbose'],
      ['debug', 'debug'],
      ['log', 'log'],
      ['warn', 'warn'],
    ]);
    expect(parsed(stderr).map((l) => [l.level, l.msg])).toEqual([
      ['error', 'error'],
      ['fatal', 'fatal'],
    ]);
  });

  it('drops debug and verbose by default', () => {
    const { sut, stdout, stderr } = capture();
    sut.verbose('v');
    sut.debug('d');
    sut.log('l');
    sut.warn('w');
    sut.error('e');
    sut.fatal('f');
    expect(parsed(stdout).map((l) => l.msg)).toEqual(['l', 'w']);
    expect(parsed(stderr).map((l) => l.msg)).toEqual(['e', 'f']);
  });

  it('writes only the levels it is given, as a set', () => {
    const { sut, stdout, stderr } = capture({ levels: ['debug', 'error'] });
    sut.verbose('v');
    sut.debug('d');
    sut.log('l');
    sut.error('e');
    expect(parsed(stdout).map((l) => l.msg)).toEqual(['d']);
    expect(parsed(stderr).map((l) => l.msg)).toEqual(['e']);
  });

  it('takes new levels from setLogLevels', () => {
    const { sut, stdout } = capture();
    sut.setLogLevels(['warn']);
    sut.log('l');
    sut.warn('w');
    expect(parsed(stdout).map((l) => l.msg)).toEqual(['w']);
  });

  it('keeps the stack Nest passes to error, apart from the context', () => {
    const { sut, stderr } = capture();
    const { stack } = new Error('boom');
    sut.error('handler failed', stack, 'ExceptionsHandler');
    sut.error('handler failed', stack);
    expect(parsed(stderr)).toEqual([
      expect.objectContaining({
        msg: 'handler failed',
        context: 'ExceptionsHandler',
        stack,
      }),
      expect.not.objectContaining({ context: expect.anything() }),
    ]);
    expect(parsed(stderr)[1].stack).toBe(stack);
  });

  it('writes an Error message as its text and its err fields', () => {
    const { sut, stderr } = capture();
    const error = new TypeError('bad input');
    sut.error(error, 'Payment');
    expect(parsed(stderr)[0]).toMatchObject({
      msg: 'bad input',
      context: 'Payment',
      err: { type: 'TypeError', message: 'bad input', stack: error.stack },
    });
  });

  it('flushes: resolves once a stream has written every line it queued', async () => {
    const written: string[] = [];
    const slow = new Writable({
      write(chunk: Buffer, _encoding, done) {
        setTimeout(() => {
          if (chunk.length) written.push(chunk.toString());
          done();
        }, 5);
      },
    });
    const sut = new TierLogger({
      service: 'order',
      stdout: slow,
      stderr: slow,
    });
    sut.log('one');
    sut.error('two');
    expect(written).toEqual([]);
    await sut.flush();
    expect(parsed(written).map((l) => l.msg)).toEqual(['one', 'two']);
  });

  it('flushes at once when nothing waits', async () => {
    const { sut } = capture();
    sut.log('one');
    await expect(sut.flush()).resolves.toBeUndefined();
  });

  it('prints a pretty line with the level, the context or service, the message and the fields', () => {
    const { sut, stdout, stderr } = capture({ format: 'pretty' });
    sut.log(requestEnded, 'Deadline');
    sut.log({ msg: 'listening', protocol: 'grpc' });
    sut.error('refused', 'Chaos');
    expect(stdout).toEqual([
      'LOG   [Deadline] request ended method=PlaceOrder hop=1 receivedBudgetMs=4990 forwardedBudgetMs=4980 spentMs=12.3 outcome=ok remainingMs=4977.7 aborted=false traceId=0af7651916cd43dd8448eb211c80319c spanId=b7ad6b7169203331\n',
      'LOG   [order] listening protocol=grpc\n',
    ]);
    expect(stderr).toEqual(['ERROR [Chaos] refused\n']);
  });
});
