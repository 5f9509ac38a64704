import {
  BadRequestException,
  HttpException,
  NotFoundException,
} from '@nestjs/common';
import { GrpcStatus } from '../core/grpc-status.js';
import { InvalidBodyError } from '../core/invalid-body.error.js';
import { httpErrorBody } from './http-error-body.js';

describe(httpErrorBody.name, () => {
  it('names Nest’s own exceptions by their status, not their class', () => {
    expect(httpErrorBody(new HttpException('too big', 413))).toEqual({
      statusCode: 413,
      error: 'payload_too_large',
      message: 'too big',
    });
    expect(httpErrorBody(new BadRequestException('limit'))).toMatchObject({
      statusCode: 400,
      error: 'bad_request',
    });
  });

  it('bounds what it echoes of the path of an unknown route', () => {
    const body = httpErrorBody(
      new NotFoundException(`Cannot GET /${'a'.repeat(8_000)}`),
    );
    expect(body.error).toBe('not_found');
    expect(body.message).toBe(
      `Cannot GET /${'a'.repeat(148)}… (8012 characters)`,
    );
  });

  it('answers a listed code as it is, and an unlisted one as its status’s generic code', () => {
    const codes = new Set(['payment_declined', 'failed_precondition']);
    const onUnlistedCode = vi.fn();
    const declined = {
      tag: 'DownstreamError',
      code: GrpcStatus.FAILED_PRECONDITION,
      reason: 'payment_declined',
      details: 'declined',
    };
    expect(httpErrorBody(declined, { codes, onUnlistedCode })).toMatchObject({
      statusCode: 409,
      error: 'payment_declined',
    });
    expect(
      httpErrorBody(
        { ...declined, reason: 'order_released' },
        { codes, onUnlistedCode },
      ),
    ).toMatchObject({ statusCode: 409, error: 'failed_precondition' });
    expect(onUnlistedCode).toHaveBeenCalledExactlyOnceWith(
      'order_released',
      'failed_precondition',
    );
  });

  it('names the field at fault and leaves the hops out of a 400', () => {
    expect(
      httpErrorBody(new InvalidBodyError('quantity', 'quantity is bad'), {
        hops: [{ service: 'gateway' }],
      }),
    ).toEqual({
      statusCode: 400,
      error: 'invalid_body',
      message: 'quantity is bad',
      field: 'quantity',
    });
  });
});
