/** Position of the callee in the chain (edge = 0); informational, for records and traces. */
export const HOP_METADATA_KEY = 'x-deadline-hop';
