/** Streams open in this process right now, by side: opened here (`client`) or served here (`server`). */
export interface OpenStreams {
  readonly client: number;
  readonly server: number;
}

const open = { client: 0, server: 0 };

/** A stream opened (`client`) or began to be served (`server`). Pair it with {@link streamClosed}. */
export function streamOpened(side: keyof OpenStreams): void {
  open[side]++;
}

export function streamClosed(side: keyof OpenStreams): void {
  open[side]--;
}

/** How many streams are open now: the `streams_open` gauge reads it at every scrape. */
export function openStreams(): OpenStreams {
  return { ...open };
}
