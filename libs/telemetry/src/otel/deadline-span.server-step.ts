import type { ServerStep } from '@lib/deadline';
import {
  type ServerSpanAttributesOptions,
  writeServerSpanAttributes,
} from './server-span-attributes.js';

/**
 * The deadline's starting attributes on the gRPC server span. Put it inside the deadline entry
 * (the scope exists there), and only when spans are recorded.
 */
export function deadlineSpanStep(
  options: ServerSpanAttributesOptions,
): ServerStep {
  return (_incoming, next) => {
    writeServerSpanAttributes(options);
    return next();
  };
}
