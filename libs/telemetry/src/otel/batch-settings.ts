/**
 * The batch span processor's settings the standard `OTEL_BSP_*` variables name. SDK 3's
 * `BatchSpanProcessor` takes options only and reads no environment (`@opentelemetry/sdk-trace`
 * leaves that to whoever builds it), so without this they would be ignored without a word.
 */
export interface BatchSettings {
  /** `OTEL_BSP_SCHEDULE_DELAY`: ms between two exports. @default 5000 (the SDK's) */
  readonly scheduledDelayMillis?: number;
  /** `OTEL_BSP_EXPORT_TIMEOUT`: ms one export may take. @default 30000 (the SDK's) */
  readonly exportTimeoutMillis?: number;
  /** `OTEL_BSP_MAX_QUEUE_SIZE`: spans kept waiting; more are dropped. @default 2048 (the SDK's) */
  readonly maxQueueSize?: number;
  /** `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: spans per export, at most the queue size. @default 512 (the SDK's) */
  readonly maxExportBatchSize?: number;
}

const VARIABLES = [
  { name: 'OTEL_BSP_SCHEDULE_DELAY', option: 'scheduledDelayMillis', min: 0 },
  { name: 'OTEL_BSP_EXPORT_TIMEOUT', option: 'exportTimeoutMillis', min: 1 },
  { name: 'OTEL_BSP_MAX_QUEUE_SIZE', option: 'maxQueueSize', min: 1 },
  {
    name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
    option: 'maxExportBatchSize',
    min: 1,
  },
] as const;
/** The longest a timer can wait (and far more spans than a queue should hold). */
const MAX = 2_147_483_647;
const SDK_MAX_EXPORT_BATCH_SIZE = 512;
const SDK_MAX_QUEUE_SIZE = 2048;

/**
 * Reads `OTEL_BSP_*` (unset or empty: the SDK's default), refusing every bad value at once rather
 * than logging and carrying on as the 2.x SDK did.
 */
export function batchSettingsFromEnv(env: NodeJS.ProcessEnv): BatchSettings {
  const settings: { -readonly [K in keyof BatchSettings]: number } = {};
  const problems: string[] = [];
  for (const { name, option, min } of VARIABLES) {
    const raw = env[name];
    const text = (raw ?? '').trim();
    if (text === '') continue;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > MAX)
      problems.push(
        `${name}: "${raw}" is not a whole number in ${min}..${MAX}`,
      );
    else settings[option] = value;
  }
  const queue = settings.maxQueueSize;
  const batch = settings.maxExportBatchSize;
  if (batch !== undefined && batch > (queue ?? SDK_MAX_QUEUE_SIZE))
    problems.push(
      `OTEL_BSP_MAX_EXPORT_BATCH_SIZE: ${batch} is more than the queue holds (OTEL_BSP_MAX_QUEUE_SIZE ${queue ?? `${SDK_MAX_QUEUE_SIZE}, the default`})`,
    );
  // Only the queue set, below the default batch: a batch is the whole queue (the SDK would do the same, with a warning).
  else if (
    batch === undefined &&
    queue !== undefined &&
    queue < SDK_MAX_EXPORT_BATCH_SIZE
  )
    settings.maxExportBatchSize = queue;
  if (problems.length)
    throw new Error(`invalid environment:\n  ${problems.join('\n  ')}`);
  return settings;
}
