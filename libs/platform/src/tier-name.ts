/** Injection token holding the tier's name (`order`), provided by TierModule. */
export const TIER_NAME = Symbol('TIER_NAME');
