// Admission control for one model: decides, before a request's body is read, whether it
// may start now, must wait in line, or is refused. No transport types: the HTTP and gRPC
// front doors call it with a callback and turn a refusal into their own 503.
//
// Two stages, after "Fail at Scale" (Maurer, ACM Queue 13(8), 2015: controlled delay and
// adaptive LIFO) and CoDel (Nichols & Jacobson, RFC 8289):
// - at most `limit` requests are admitted (body read, parsed, queued, running, answering).
//   The limit follows the model's measured capacity: every `intervalMs` it shrinks when even
//   the shortest batch-queue wait of the interval exceeded `targetQueueDelayMs` (a standing
//   queue: admitting fewer loses no throughput), in proportion and at most by half, and grows
//   by a quarter when requests had to wait for it while the batch queue did not stand (the
//   model could take more). It starts at `minLimit`;
// - the rest wait in a line that costs no parsing (bodies unread), newest first, so that
//   under overload the requests served are the fresh ones and the oldest time out after
//   `maxWaitMs` with a refusal; a full line refuses at once.
import type { ServerAdmissionSettings } from "../config.js";

export interface AdmissionSettings {
  /** Batch-queue wait the limit steers to: a standing queue longer than this shrinks the limit. */
  targetQueueDelayMs: number;
  /** Longest a request waits in line for a slot before it is refused; 0 = refuse at once. */
  maxWaitMs: number;
  /** Most requests waiting in line; beyond it requests are refused at once. */
  maxWaiting: number;
  /** The limit never goes below this (keeps the model's batches fillable). */
  minLimit: number;
  /** The limit never goes above this. */
  maxLimit: number;
  /** The limit to start from. Default minLimit: a slow start, so that a burst on a cold server is not all admitted before the first measurement. */
  initialLimit?: number;
  /** How often the limit is revised, in milliseconds (CoDel's interval). Default 100. */
  intervalMs?: number;
}

/** Why a request was refused: the line was full, or it waited `maxWaitMs` without a slot. */
export type ShedReason = "waiting_full" | "wait_timeout";

export interface Refusal {
  admitted: false;
  reason: ShedReason;
  /** Seconds the client should wait before retrying (the Retry-After header). */
  retryAfterSeconds: number;
  /** True when shedding hard (the line is full): close the connection so the client backs off or reconnects elsewhere. */
  closeConnection: boolean;
}

export interface Ticket {
  admitted: true;
  /** Milliseconds the request waited in line (0 when admitted at once). */
  waitedMs: number;
  /** Frees the slot when the request has been answered; later calls do nothing. */
  release(): void;
}

export type Decision = Ticket | Refusal;

/** What a refused client is told, through either front door. */
export function refusalMessage(model: string, refusal: Refusal): string {
  const why = refusal.reason === "wait_timeout" ? "no capacity freed up while the request waited" : "too many requests are waiting";
  return `model "${model}" is overloaded: ${why}; retry after ${refusal.retryAfterSeconds} s`;
}

export interface AdmissionEvents {
  /** A request was refused. */
  shed?(reason: ShedReason): void;
  /** The limit changed. */
  limit?(limit: number): void;
  /** The line's length changed. */
  waiting?(waiting: number): void;
}

interface Waiter {
  decide(decision: Decision): void;
  since: number;
  timer: NodeJS.Timeout | undefined;
}

const DEFAULT_INTERVAL_MS = 100;
/** The most the limit shrinks per interval, and how much it grows: fast down, gentle up (as TCP's AIMD). */
const MAX_DECREASE = 0.5;
const INCREASE = 1.25;
const RETRY_AFTER_SECONDS = 1;

/** Checks the settings once, naming the bad one. */
export function validateAdmissionSettings(s: AdmissionSettings): void {
  const checks: [keyof AdmissionSettings, boolean, string][] = [
    ["targetQueueDelayMs", Number.isInteger(s.targetQueueDelayMs) && s.targetQueueDelayMs >= 1, "an integer >= 1"],
    ["maxWaitMs", Number.isInteger(s.maxWaitMs) && s.maxWaitMs >= 0, "an integer >= 0"],
    ["maxWaiting", Number.isInteger(s.maxWaiting) && s.maxWaiting >= 0, "an integer >= 0"],
    ["minLimit", Number.isInteger(s.minLimit) && s.minLimit >= 1, "an integer >= 1"],
    ["maxLimit", Number.isInteger(s.maxLimit) && s.maxLimit >= s.minLimit, `an integer >= minLimit (${s.minLimit})`],
    ["intervalMs", s.intervalMs === undefined || (Number.isInteger(s.intervalMs) && s.intervalMs >= 1), "an integer >= 1"],
  ];
  const bad = checks.filter(([, ok]) => !ok).map(([name, , allowed]) => `${name} must be ${allowed}, got ${String(s[name])}`);
  if (bad.length > 0) throw new RangeError(`admission settings: ${bad.join("; ")}`);
}

export class AdmissionController {
  private admitted = 0;
  private current: number;
  private readonly line: Waiter[] = [];
  private readonly intervalMs: number;
  private intervalStart: number;
  /** Shortest batch-queue wait seen this interval (Infinity: none seen). */
  private minQueueWait = Infinity;
  /** Whether a request found the limit reached this interval. */
  private saturated = false;

  constructor(
    private readonly settings: AdmissionSettings,
    private readonly events: AdmissionEvents = {},
    private readonly now: () => number = Date.now,
  ) {
    validateAdmissionSettings(settings);
    this.current = Math.min(settings.maxLimit, Math.max(settings.minLimit, settings.initialLimit ?? settings.minLimit));
    this.intervalMs = settings.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.intervalStart = now();
    events.limit?.(this.current);
    events.waiting?.(0);
  }

  /** Requests admitted and not yet released. */
  get inFlight(): number {
    return this.admitted;
  }

  /** Requests waiting in line. */
  get waiting(): number {
    return this.line.length;
  }

  /** Most requests admitted at once right now. */
  get limit(): number {
    this.revise();
    return this.current;
  }

  /**
   * Asks for a slot. `decide` is called exactly once: at once (admitted, or refused because the
   * line is full or waiting is off), or later when a slot frees or `maxWaitMs` passes. The
   * returned function withdraws a request still in line (its client went away); `decide` is
   * then not called.
   */
  enter(decide: (decision: Decision) => void): () => void {
    this.revise();
    if (this.admitted < this.current && this.line.length === 0) {
      decide(this.admit(0));
      return () => {};
    }
    this.saturated = true;
    if (this.settings.maxWaitMs === 0 || this.line.length >= this.settings.maxWaiting) {
      decide(this.refuse("waiting_full", true));
      return () => {};
    }
    const waiter: Waiter = { decide, since: this.now(), timer: undefined };
    waiter.timer = setTimeout(() => {
      if (this.remove(waiter)) decide(this.refuse("wait_timeout", false));
    }, this.settings.maxWaitMs);
    this.line.push(waiter);
    this.events.waiting?.(this.line.length);
    return () => {
      if (this.remove(waiter)) clearTimeout(waiter.timer);
    };
  }

  /** One request's wait in the batch queue (from the batcher, as each batch starts): the signal the limit follows. */
  observeQueueWait(ms: number): void {
    this.revise();
    if (ms < this.minQueueWait) this.minQueueWait = ms;
  }

  private admit(waitedMs: number): Ticket {
    this.admitted++;
    let released = false;
    return {
      admitted: true,
      waitedMs,
      release: () => {
        if (released) return;
        released = true;
        this.admitted--;
        this.revise();
        this.next();
      },
    };
  }

  private refuse(reason: ShedReason, closeConnection: boolean): Refusal {
    this.events.shed?.(reason);
    return { admitted: false, reason, retryAfterSeconds: RETRY_AFTER_SECONDS, closeConnection };
  }

  /** Admits from the line while there is room: newest first (adaptive LIFO; the oldest are the likeliest to time out anyway). */
  private next(): void {
    while (this.admitted < this.current && this.line.length > 0) {
      const waiter = this.line.pop()!;
      clearTimeout(waiter.timer);
      this.events.waiting?.(this.line.length);
      waiter.decide(this.admit(this.now() - waiter.since));
    }
  }

  private remove(waiter: Waiter): boolean {
    const i = this.line.indexOf(waiter);
    if (i < 0) return false;
    this.line.splice(i, 1);
    this.events.waiting?.(this.line.length);
    return true;
  }

  /** At each interval's end: shrink on a standing queue, grow when demand met the limit without one. */
  private revise(): void {
    const now = this.now();
    if (now - this.intervalStart < this.intervalMs) return;
    const { targetQueueDelayMs, minLimit, maxLimit } = this.settings;
    let next = this.current;
    if (this.minQueueWait > targetQueueDelayMs && Number.isFinite(this.minQueueWait)) {
      next = Math.max(minLimit, Math.floor(this.current * Math.max(MAX_DECREASE, targetQueueDelayMs / this.minQueueWait)));
    } else if (this.saturated) {
      next = Math.min(maxLimit, Math.ceil(this.current * INCREASE));
    }
    this.intervalStart = now;
    this.minQueueWait = Infinity;
    this.saturated = this.admitted >= next || this.line.length > 0;
    if (next !== this.current) {
      this.current = next;
      this.events.limit?.(next);
      this.next();
    }
  }
}

/** How a front door hears that a request went away (an HTTP response closed, a gRPC call cancelled). */
export interface Cancellation {
  on(listener: () => void): void;
  off(listener: () => void): void;
}

/**
 * `controller.enter` for a request that can go away while it waits: if it is not decided at once,
 * its leaving withdraws it from the line; once decided, that listener is removed again. `decide`
 * is called exactly once, unless the request left the line first.
 */
export function enterUntilCancelled(controller: AdmissionController, cancellation: Cancellation, decide: (decision: Decision) => void): void {
  let state: "deciding" | "waiting" | "decided" = "deciding";
  const withdraw = controller.enter((decision) => {
    if (state === "waiting") cancellation.off(withdraw);
    state = "decided";
    decide(decision);
  });
  if (state === "deciding") {
    state = "waiting";
    cancellation.on(withdraw);
  }
}

/**
 * A controller per model: the limit ranges from two full batches (so the next batch is always
 * queued while one runs) to the model's maxQueueSize (so the batch queue never overflows and
 * refuses only what admission let in).
 */
export class ModelAdmission {
  private readonly controllers = new Map<string, AdmissionController>();

  constructor(
    models: readonly { name: string; limits: { maxBatchSize: number; maxQueueSize: number } }[],
    settings: ServerAdmissionSettings,
    events: (model: string) => AdmissionEvents = () => ({}),
  ) {
    if (!settings.enabled) return;
    for (const { name, limits } of models) {
      const maxLimit = limits.maxQueueSize;
      const controller = new AdmissionController({ ...settings, minLimit: Math.min(maxLimit, 2 * limits.maxBatchSize), maxLimit }, events(name));
      this.controllers.set(name, controller);
    }
  }

  /** The model's controller; undefined for an unknown model (its 404 needs no admission) or when admission is off. */
  for(model: string): AdmissionController | undefined {
    return this.controllers.get(model);
  }
}
