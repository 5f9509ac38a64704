import {
  CancelledError,
  DeadlineExceededError,
  DomainError,
  DownstreamError,
  GrpcStatus,
} from '@lib/deadline';
import { AttemptTimeoutError } from './attempt-timeout.error.js';
import { BreakerOpenError } from './breaker-open.error.js';
import { BulkheadFullError } from './bulkhead-full.error.js';
import { type AttemptFacts, classifyOutcome } from './call-outcome.js';

const fair: AttemptFacts = {
  budgetMs: 2_000,
  capped: false,
  slowCallMs: 1_000,
};
const downstream = (code: GrpcStatus, reason?: string): DownstreamError =>
  new DownstreamError(code, reason, '', 'inventory', 'Reserve');

describe(classifyOutcome.name, () => {
  it('counts our own attempt deadline firing as a failure', () => {
    expect(
      classifyOutcome(new AttemptTimeoutError('inventory', 200), fair),
    ).toBe('failure');
  });

  it('counts an unavailable downstream as a failure', () => {
    expect(classifyOutcome(downstream(GrpcStatus.UNAVAILABLE), fair)).toBe(
      'failure',
    );
  });

  it('counts DEADLINE_EXCEEDED under our capped attempt deadline as a failure', () => {
    expect(
      classifyOutcome(downstream(GrpcStatus.DEADLINE_EXCEEDED), {
        budgetMs: 300,
        capped: true,
        slowCallMs: 1_000,
      }),
    ).toBe('failure');
  });

  it('counts DEADLINE_EXCEEDED under a fair inherited budget as a failure', () => {
    expect(
      classifyOutcome(downstream(GrpcStatus.DEADLINE_EXCEEDED), fair),
    ).toBe('failure');
  });

  it('ignores DEADLINE_EXCEEDED when the inherited budget was already too short', () => {
    expect(
      classifyOutcome(downstream(GrpcStatus.DEADLINE_EXCEEDED), {
        budgetMs: 40,
        capped: false,
        slowCallMs: 1_000,
      }),
    ).toBe('ignored');
  });

  it('ignores the caller cancelling and the caller’s own deadline passing', () => {
    expect(classifyOutcome(new CancelledError(), fair)).toBe('ignored');
    expect(classifyOutcome(new DeadlineExceededError(), fair)).toBe('ignored');
  });

  it('ignores the breaker’s and the bulkhead’s own refusals and aborts', () => {
    expect(
      classifyOutcome(
        new BreakerOpenError('inventory', 'opened-in-flight', 5_000),
        fair,
      ),
    ).toBe('ignored');
    expect(
      classifyOutcome(new BulkheadFullError('inventory', 10, 0), fair),
    ).toBe('ignored');
  });

  it('ignores a downstream that answered UNAVAILABLE itself (its own breaker was open, or a tier further down is unavailable)', () => {
    expect(
      classifyOutcome(downstream(GrpcStatus.UNAVAILABLE, 'breaker_open'), fair),
    ).toBe('ignored');
    expect(
      classifyOutcome(downstream(GrpcStatus.UNAVAILABLE, 'unavailable'), fair),
    ).toBe('ignored');
  });

  it('ignores a DEADLINE_EXCEEDED answered early: a timeout further down, not this downstream using up its budget', () => {
    expect(
      classifyOutcome(
        downstream(GrpcStatus.DEADLINE_EXCEEDED, 'deadline_exceeded'),
        { ...fair, elapsedMs: 1_000 },
      ),
    ).toBe('ignored');
    expect(
      classifyOutcome(
        downstream(GrpcStatus.DEADLINE_EXCEEDED, 'deadline_exceeded'),
        { ...fair, elapsedMs: 1_990 },
      ),
    ).toBe('failure');
  });

  it.each([
    ['invalid argument', GrpcStatus.INVALID_ARGUMENT, 'invalid_argument'],
    ['not found', GrpcStatus.NOT_FOUND, 'unknown_sku'],
    ['payment declined', GrpcStatus.FAILED_PRECONDITION, 'payment_declined'],
  ])('ignores a business answer: %s', (_name, code, reason) => {
    expect(classifyOutcome(downstream(code, reason), fair)).toBe('ignored');
  });

  it('ignores local errors that never reached the downstream', () => {
    expect(
      classifyOutcome(
        new DomainError(GrpcStatus.INVALID_ARGUMENT, 'invalid_argument', 'bad'),
        fair,
      ),
    ).toBe('ignored');
    expect(classifyOutcome(new TypeError('bug'), fair)).toBe('ignored');
  });
});
