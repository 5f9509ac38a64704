import { batchSettingsFromEnv } from './batch-settings.js';

describe(batchSettingsFromEnv.name, () => {
  it("leaves every setting to the SDK's default when nothing is set", () => {
    expect(batchSettingsFromEnv({})).toEqual({});
    expect(batchSettingsFromEnv({ OTEL_BSP_SCHEDULE_DELAY: ' ' })).toEqual({});
  });

  it('takes the four standard OTEL_BSP_* variables', () => {
    expect(
      batchSettingsFromEnv({
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_BSP_EXPORT_TIMEOUT: '2000',
        OTEL_BSP_MAX_QUEUE_SIZE: '4096',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1024',
      }),
    ).toEqual({
      scheduledDelayMillis: 100,
      exportTimeoutMillis: 2000,
      maxQueueSize: 4096,
      maxExportBatchSize: 1024,
    });
  });

  it('exports at once with a delay of 0', () => {
    expect(batchSettingsFromEnv({ OTEL_BSP_SCHEDULE_DELAY: '0' })).toEqual({
      scheduledDelayMillis: 0,
    });
  });

  it('makes a batch the whole queue when only a queue smaller than the default batch is set', () => {
    expect(batchSettingsFromEnv({ OTEL_BSP_MAX_QUEUE_SIZE: '100' })).toEqual({
      maxQueueSize: 100,
      maxExportBatchSize: 100,
    });
  });

  it('refuses every bad value at once, naming each variable', () => {
    expect(() =>
      batchSettingsFromEnv({
        OTEL_BSP_SCHEDULE_DELAY: '100ms',
        OTEL_BSP_EXPORT_TIMEOUT: '0',
        OTEL_BSP_MAX_QUEUE_SIZE: '-1',
      }),
    ).toThrow(
      'invalid environment:\n' +
        '  OTEL_BSP_SCHEDULE_DELAY: "100ms" is not a whole number in 0..2147483647\n' +
        '  OTEL_BSP_EXPORT_TIMEOUT: "0" is not a whole number in 1..2147483647\n' +
        '  OTEL_BSP_MAX_QUEUE_SIZE: "-1" is not a whole number in 1..2147483647',
    );
  });

  it('refuses a batch larger than the queue', () => {
    expect(() =>
      batchSettingsFromEnv({
        OTEL_BSP_MAX_QUEUE_SIZE: '100',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '200',
      }),
    ).toThrow(
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 200 is more than the queue holds (OTEL_BSP_MAX_QUEUE_SIZE 100)',
    );
    expect(() =>
      batchSettingsFromEnv({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4096' }),
    ).toThrow('(OTEL_BSP_MAX_QUEUE_SIZE 2048, the default)');
  });
});
