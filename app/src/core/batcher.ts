// Dynamic batching: a bounded queue in front of one executor. Jobs that share a
// key (same model, same non-batch dims) are run together up to a row limit or
// a delay; jobs past their deadline are dropped before they reach the executor.
// Pure queueing logic: the executor is a function, so this runs without onnxruntime.

export interface BatcherLimits {
  /** Most rows per executed batch; one job with more rows still runs, alone. */
  maxBatchSize: number;
  /** Longest the oldest job waits for companions before its batch runs. */
  maxQueueDelayMs: number;
  /** Most jobs waiting (not counting the batch being executed). */
  maxQueueSize: number;
}

export interface JobOptions {
  /** Rows this job adds to a batch (its first dimension). */
  rows: number;
  /** Jobs batch together only when their keys are equal; undefined = never batched. */
  key: string | undefined;
  /** Epoch milliseconds after which the job is dropped unless it has started. */
  deadline: number;
}

export class QueueFullError extends Error {
  override name = "QueueFullError";
}

export class DeadlineExceededError extends Error {
  override name = "DeadlineExceededError";
}

export interface BatcherEvents {
  /** Queue length changed. */
  depth?(waiting: number): void;
  /** A batch is starting: how long each of its jobs waited, and its total rows. */
  dispatch?(waitedMs: number[], rows: number): void;
  /** A job was refused or dropped without running. */
  rejected?(reason: "queue_full" | "deadline"): void;
}

interface Job<T, R> extends JobOptions {
  payload: T;
  enqueuedAt: number;
  resolve(result: R): void;
  reject(err: unknown): void;
  expiry?: NodeJS.Timeout;
}

/**
 * Runs `execute` on batches of payloads, one batch at a time; `execute` returns one
 * result per payload in order, or throws to fail the whole batch.
 */
export class Batcher<T, R> {
  private readonly queue: Job<T, R>[] = [];
  private running = false;
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: BatcherLimits,
    private readonly execute: (payloads: T[]) => Promise<R[]>,
    private readonly events: BatcherEvents = {},
  ) {}

  /** Jobs waiting to run. */
  get depth(): number {
    return this.queue.length;
  }

  /** From now on batches run as soon as the executor is free, without waiting for companions (used when draining). */
  flush(): void {
    this.flushing = true;
    this.schedule();
  }

  submit(payload: T, options: JobOptions): Promise<R> {
    if (this.queue.length >= this.limits.maxQueueSize) {
      this.events.rejected?.("queue_full");
      return Promise.reject(new QueueFullError(`queue is full (${this.limits.maxQueueSize} requests waiting)`));
    }
    if (Date.now() >= options.deadline) return Promise.reject(this.expired(undefined));
    return new Promise<R>((resolve, reject) => {
      const job: Job<T, R> = { ...options, payload, enqueuedAt: Date.now(), resolve, reject };
      // Answer at the deadline even when the executor is busy with a long batch.
      job.expiry = setTimeout(() => this.drop(job), options.deadline - Date.now());
      this.queue.push(job);
      this.events.depth?.(this.queue.length);
      this.schedule();
    });
  }

  private expired(job: Job<T, R> | undefined): DeadlineExceededError {
    this.events.rejected?.("deadline");
    const waited = job ? ` after waiting ${Date.now() - job.enqueuedAt} ms in the queue` : "";
    return new DeadlineExceededError(`request deadline exceeded${waited}; it did not run`);
  }

  private drop(job: Job<T, R>): void {
    const i = this.queue.indexOf(job);
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.events.depth?.(this.queue.length);
    job.reject(this.expired(job));
  }

  /** The jobs the oldest job would run with now (removed from the queue when `remove`). */
  private takeBatch(remove: boolean): Job<T, R>[] {
    const head = this.queue[0];
    if (!head) return [];
    const batch = [head];
    let rows = head.rows;
    if (head.key !== undefined) {
      for (const job of this.queue.slice(1)) {
        if (job.key === head.key && rows + job.rows <= this.limits.maxBatchSize) {
          batch.push(job);
          rows += job.rows;
        }
      }
    }
    if (remove) {
      for (const job of batch) this.queue.splice(this.queue.indexOf(job), 1);
      this.events.depth?.(this.queue.length);
    }
    return batch;
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const head = this.queue[0]!;
    // A job that can never batch has no companion to wait for.
    const full = head.key === undefined || this.takeBatch(false).reduce((n, j) => n + j.rows, 0) >= this.limits.maxBatchSize;
    const wait = head.enqueuedAt + this.limits.maxQueueDelayMs - Date.now();
    if (full || wait <= 0 || this.flushing) {
      void this.runBatch();
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
    }
  }

  private async runBatch(): Promise<void> {
    this.running = true;
    const now = Date.now();
    // The expiry timers may lag the clock by a tick: recheck so no expired job runs.
    for (const job of this.queue.filter((j) => j.deadline <= now)) this.drop(job);
    const batch = this.takeBatch(true);
    for (const job of batch) clearTimeout(job.expiry);
    try {
      if (batch.length === 0) return;
      this.events.dispatch?.(
        batch.map((j) => now - j.enqueuedAt),
        batch.reduce((n, j) => n + j.rows, 0),
      );
      try {
        const results = await this.execute(batch.map((j) => j.payload));
        if (results.length !== batch.length) throw new Error(`executor returned ${results.length} results for ${batch.length} jobs`);
        batch.forEach((job, i) => job.resolve(results[i]!));
      } catch (err) {
        for (const job of batch) job.reject(err);
      }
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
