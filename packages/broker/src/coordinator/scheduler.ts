// Timers for the coordinators, behind an interface so tests drive time by hand: every session,
// rebalance and sync timeout is a task scheduled here and cancelled when it no longer applies.

export interface ScheduledTask {
  cancel(): void;
}

export interface Scheduler {
  /** Runs `task` once, `delayMs` from now (clamped to 0..2^31-1 ms, setTimeout's range). */
  schedule(delayMs: number, task: () => void): ScheduledTask;
}

/** The largest delay setTimeout honours; longer ones would fire at once. */
export const delayMsMax = 2 ** 31 - 1;

/** Real timers; they do not keep the process alive. */
export const systemScheduler: Scheduler = {
  schedule(delayMs, task) {
    const timer = setTimeout(task, Math.min(delayMsMax, Math.max(0, delayMs)));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
