import fs from 'node:fs';

/*
 * Linux /proc readings for benchmarks that run a program as a child process: its process tree
 * (tsx runs the real program in a child of its own), peak resident memory and CPU time.
 */

/** `pid` and all its descendants (read from /proc/<pid>/task/<tid>/children), parents first. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      return; // gone
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = fs.readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.trim().split(/\s+/).filter(Boolean)) walk(Number(c));
    }
  };
  walk(pid);
  return out;
}

/** A field of /proc/<pid>/status in kB (VmHWM, VmRSS), or null when the process is gone. */
export function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The command line of a process (NULs as spaces), '' when gone. */
export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** The highest VmHWM (peak RSS, MB) over `pid`'s tree, with the process that has it. */
export function peakRssMb(pid: number): { mb: number; pid: number | null } {
  let best = { mb: 0, pid: null as number | null };
  for (const p of processTree(pid)) {
    const kb = statusKb(p, 'VmHWM');
    if (kb !== null && kb / 1024 > best.mb) best = { mb: kb / 1024, pid: p };
  }
  return best;
}

/**
 * Resets the peak RSS (VmHWM) of every process in `pid`'s tree to its current RSS (`echo 5 >
 * /proc/<pid>/clear_refs`, Linux ≥ 4.0; needs to own the process). Returns false when refused.
 */
export function resetPeakRss(pid: number): boolean {
  let ok = true;
  for (const p of processTree(pid)) {
    try {
      fs.writeFileSync(`/proc/${p}/clear_refs`, '5');
    } catch {
      ok = false;
    }
  }
  return ok;
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every mainstream Linux build

/** User + system CPU seconds used so far by `pid`'s tree (live processes only). */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    } catch {
      // gone
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** Busy and total CPU seconds of the whole machine so far (all cores), from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/** Whether a process exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
