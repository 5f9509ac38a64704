import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/**
 * CPU time (user + system, ms) the given processes have used so far, from `/proc/<pid>/stat`;
 * `undefined` where there is no procfs (not Linux). CPU time, unlike throughput, barely moves
 * when other work shares the machine, so it is the steadier measure of what a feature costs.
 */
export function processCpuMs(pids: readonly number[]): number | undefined {
  let ms = 0;
  for (const pid of pids) {
    const one = pidCpuMs(pid);
    if (one === undefined) return undefined;
    ms += one;
  }
  return ms;
}

/** CPU time (user + system, ms) one process has used so far; `undefined` when it is gone or there is no procfs. */
export function pidCpuMs(pid: number): number | undefined {
  ticksPerSecond ??= clockTicksPerSecond();
  try {
    // Fields after the command name (which may hold spaces and parentheses) start after its last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    return (ticks * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** The PIDs of those processes that are running (an exited one's PID may belong to another process by now). */
export function pidsOf(
  processes: readonly {
    readonly pid: number | undefined;
    readonly running: boolean;
  }[],
): number[] {
  return processes.flatMap((p) =>
    p.running && p.pid !== undefined ? [p.pid] : [],
  );
}

/** `getconf CLK_TCK`: the unit of /proc's CPU times; 100, Linux's usual value, where getconf is missing. */
function clockTicksPerSecond(): number {
  try {
    return (
      Number(
        execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(),
      ) || 100
    );
  } catch {
    return 100;
  }
}
