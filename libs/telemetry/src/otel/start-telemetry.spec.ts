import { startTelemetry } from './start-telemetry';
import { telemetry } from './telemetry';

describe(startTelemetry.name, () => {
  it('keeps metrics and the recent-request buffer but records no spans when OTEL_SDK_DISABLED=true', () => {
    const sut = startTelemetry({ service: 'gateway', env: { OTEL_SDK_DISABLED: 'true', TRACER_RECENT_REQUESTS: '7' } });
    expect(sut.tracing).toBe(false);
    expect(sut.recent.capacity).toBe(7);
    expect(telemetry()).toBe(sut);
  });

  it('refuses a switch that is not true/false', () => {
    expect(() => startTelemetry({ service: 'gateway', env: { OTEL_SDK_DISABLED: 'maybe' } })).toThrow('invalid environment:\n  OTEL_SDK_DISABLED: "maybe" is not true/false');
  });

  it('refuses a buffer size that is not a positive whole number', () => {
    expect(() => startTelemetry({ service: 'gateway', env: { OTEL_SDK_DISABLED: 'true', TRACER_RECENT_REQUESTS: '0' } })).toThrow(
      'TRACER_RECENT_REQUESTS: "0" is not a whole number in 1..100000',
    );
  });

  it('refuses an instrumentation it does not know, naming the ones it does', () => {
    expect(() => startTelemetry({ service: 'gateway', env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http,express' } })).toThrow(
      'OTEL_NODE_DISABLED_INSTRUMENTATIONS: unknown express (known: http, grpc, nestjs-core)',
    );
  });
});
