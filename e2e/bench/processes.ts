import { readdirSync, readFileSync } from 'node:fs';

// What a process spent and holds, from /proc: the work's cost, not what the clock or the process says.

/** A process and its descendants (a router's cluster workers), those alive now. */
export function processTree(pid: number): number[] {
  const children = (p: number): number[] => {
    try {
      return readdirSync(`/proc/${p}/task`).flatMap((t) => readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      return []; // gone meanwhile
    }
  };
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]!));
  return all;
}

/** CPU seconds (user + system) the processes have used; one that is gone counts 0. */
export function cpuSeconds(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
    } catch {
      return sum;
    }
  }, 0);
}

/** Resident memory now (VmRSS) or at its peak so far (VmHWM), in MiB, added up over the processes. */
export function memoryMiB(pids: readonly number[], field: 'VmRSS' | 'VmHWM'): number {
  return pids.reduce((sum, pid) => {
    try {
      const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return sum + Number(kb ?? 0) / 1024;
    } catch {
      return sum;
    }
  }, 0);
}
