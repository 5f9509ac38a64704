import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Response } from 'express';
import { InvalidAdmissionReviewError } from './admission-review.js';

/** A body that is not an AdmissionReview has no uid to answer to: a plain 400 that says what is wrong. */
@Catch(InvalidAdmissionReviewError)
export class InvalidReviewFilter implements ExceptionFilter<InvalidAdmissionReviewError> {
  catch(error: InvalidAdmissionReviewError, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(400)
      .json({ statusCode: 400, error: error.tag, message: error.message });
  }
}
