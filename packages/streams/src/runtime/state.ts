// The application's life cycle, with Kafka Streams' states and allowed transitions
// (KafkaStreams.State), and the listeners that observe it.

export type StreamsState =
  "CREATED" | "REBALANCING" | "RUNNING" | "PENDING_SHUTDOWN" | "NOT_RUNNING" | "PENDING_ERROR" | "ERROR";

const transitions: Readonly<Record<StreamsState, readonly StreamsState[]>> = {
  CREATED: ["REBALANCING", "PENDING_SHUTDOWN", "PENDING_ERROR"],
  REBALANCING: ["RUNNING", "PENDING_SHUTDOWN", "PENDING_ERROR"],
  RUNNING: ["REBALANCING", "PENDING_SHUTDOWN", "PENDING_ERROR"],
  PENDING_SHUTDOWN: ["NOT_RUNNING"],
  NOT_RUNNING: [],
  PENDING_ERROR: ["ERROR"],
  ERROR: [],
};

export type StateListener = (next: StreamsState, previous: StreamsState) => void;

export class StateMachine {
  #state: StreamsState = "CREATED";
  readonly #listeners = new Set<StateListener>();
  readonly #waiters = new Set<() => void>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  get state(): StreamsState {
    return this.#state;
  }

  canTransition(next: StreamsState): boolean {
    return transitions[this.#state].includes(next);
  }

  /** Moves to `next` if allowed (false otherwise: e.g. a late REBALANCING while shutting down). */
  transition(next: StreamsState): boolean {
    if (!this.canTransition(next)) return false;
    const previous = this.#state;
    this.#state = next;
    for (const listener of this.#listeners) {
      try {
        listener(next, previous);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
    for (const waiter of this.#waiters) waiter();
    return true;
  }

  onChange(listener: StateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves when `predicate` holds for the state; rejects after `timeoutMs`. */
  waitFor(predicate: (state: StreamsState) => boolean, timeoutMs: number): Promise<StreamsState> {
    if (predicate(this.#state)) return Promise.resolve(this.#state);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.#state)) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(this.#state);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`state is still ${this.#state} after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }
}
