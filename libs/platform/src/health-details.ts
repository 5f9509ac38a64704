import { Injectable } from '@nestjs/common';

/**
 * What a tier reports under `details` in `GET /health`: breaker states, active faults, and so on.
 * Libraries register a named source; it is read on every health request.
 */
@Injectable()
export class HealthDetails {
  private readonly sources = new Map<string, () => unknown>();

  register(name: string, source: () => unknown): void {
    this.sources.set(name, source);
  }

  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, source] of this.sources) out[name] = source();
    return out;
  }
}
