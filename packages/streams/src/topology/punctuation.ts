// Punctuation schedules of a task (Kafka's PunctuationQueue and PunctuationSchedule): one queue for
// stream time, one for wall-clock time. A due schedule fires once with the current time, then moves
// to its next multiple of the interval past that time — missed intervals are skipped, not replayed.
import type { Cancellable, PunctuationType } from "../processor.ts";

export interface PunctuationSchedule extends Cancellable {
  readonly type: PunctuationType;
  readonly intervalMs: number;
  /** The node whose punctuator this is (for error messages). */
  readonly nodeName: string;
  readonly punctuator: (timestampMs: number) => void;
  nextMs: number;
  cancelled: boolean;
}

export class PunctuationQueue {
  // Few schedules per task: a scan beats a heap here.
  readonly #schedules: PunctuationSchedule[] = [];

  add(options: {
    readonly type: PunctuationType;
    readonly intervalMs: number;
    readonly startMs: number;
    readonly nodeName: string;
    readonly punctuator: (timestampMs: number) => void;
  }): PunctuationSchedule {
    const schedules = this.#schedules;
    const schedule: PunctuationSchedule = {
      type: options.type,
      intervalMs: options.intervalMs,
      nodeName: options.nodeName,
      punctuator: options.punctuator,
      nextMs: options.startMs,
      cancelled: false,
      cancel() {
        if (schedule.cancelled) return;
        schedule.cancelled = true;
        const index = schedules.indexOf(schedule);
        if (index >= 0) schedules.splice(index, 1);
      },
    };
    schedules.push(schedule);
    return schedule;
  }

  get size(): number {
    return this.#schedules.length;
  }

  /** Fires every schedule due at `nowMs`, earliest first; `run` calls the punctuator. True if any fired. */
  punctuate(nowMs: number, run: (schedule: PunctuationSchedule, nowMs: number) => void): boolean {
    let fired = false;
    for (;;) {
      let due: PunctuationSchedule | undefined;
      for (const schedule of this.#schedules) {
        if (schedule.nextMs <= nowMs && (due === undefined || schedule.nextMs < due.nextMs)) due = schedule;
      }
      if (due === undefined) return fired;
      const scheduledMs = due.nextMs;
      // Move on before running, so a punctuator that cancels or throws leaves a consistent queue.
      let next = scheduledMs + due.intervalMs;
      if (nowMs >= next) next = scheduledMs + (Math.floor((nowMs - scheduledMs) / due.intervalMs) + 1) * due.intervalMs;
      due.nextMs = next;
      run(due, nowMs);
      fired = true;
    }
  }
}
