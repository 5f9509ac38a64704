import { Controller, Get, HttpCode, Logger, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import {
  type AdmissionRequest,
  type AdmissionResponse,
  type AdmissionReviewReply,
  InvalidAdmissionReviewError,
  parseAdmissionReview,
  reviewReply,
} from './admission-review.js';
import { AdmissionPolicy } from './admission.policy.js';

/** Kubernetes caps an object at about 1.5 MiB; an AdmissionReview carries it (twice on UPDATE). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

@Controller()
export class AdmissionController {
  private readonly logger = new Logger('admission');

  constructor(private readonly policy: AdmissionPolicy) {}

  @Post('validate')
  @HttpCode(200)
  async validate(@Req() req: Request): Promise<AdmissionReviewReply> {
    return this.answer('validate', await readReview(req), (request) =>
      this.policy.validate(request),
    );
  }

  @Post('mutate')
  @HttpCode(200)
  async mutate(@Req() req: Request): Promise<AdmissionReviewReply> {
    return this.answer('mutate', await readReview(req), (request) =>
      this.policy.mutate(request),
    );
  }

  /** Liveness and readiness (over the same TLS as the webhook). */
  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  private answer(
    webhook: 'validate' | 'mutate',
    request: AdmissionRequest,
    decide: (request: AdmissionRequest) => AdmissionResponse,
  ): AdmissionReviewReply {
    // The policy has no side effects, so a dry run gets exactly the answer a real request would.
    const response = decide(request);
    this.logger.log({
      msg: 'admission decision',
      webhook,
      uid: request.uid,
      kind: request.kind.kind,
      operation: request.operation,
      namespace: request.namespace,
      name: request.name,
      dryRun: request.dryRun,
      allowed: response.allowed,
      code: response.status?.code,
      reason: response.status?.message,
      patched: response.patch !== undefined,
    });
    return reviewReply(response);
  }
}

/** Reads and parses the body here (Nest's body parser is off) so every bad body gets the same clear 400. */
async function readReview(req: Request): Promise<AdmissionRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new InvalidAdmissionReviewError(
        `body is larger than ${MAX_BODY_BYTES} bytes`,
      );
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new InvalidAdmissionReviewError(
      `body is not JSON: ${(error as Error).message}`,
    );
  }
  return parseAdmissionReview(body);
}
