// A small circuit breaker for the remote cache: after `threshold` consecutive
// failures it stays open for `cooldownMs`, during which callers skip the remote
// backend entirely (no waiting on timeouts); then one probe is let through, and
// its outcome closes the breaker or opens it for another cool-down.

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  threshold: number;
  /** How long the breaker stays open before it lets one probe through. */
  cooldownMs: number;
  /** Clock in milliseconds; injectable for tests. Default Date.now. */
  now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    if (!Number.isInteger(options.threshold) || options.threshold < 1) {
      throw new Error(`circuit breaker threshold must be an integer >= 1 (got ${options.threshold})`);
    }
    if (!Number.isFinite(options.cooldownMs) || options.cooldownMs < 0) {
      throw new Error(`circuit breaker cooldownMs must be a number >= 0 (got ${options.cooldownMs})`);
    }
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.openedAt === undefined) return "closed";
    if (this.probing || this.now() - this.openedAt >= this.options.cooldownMs) return "half-open";
    return "open";
  }

  /** Whether a call may go to the backend now. While half-open only one probe is admitted. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open" || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  failure(): void {
    this.failures += 1;
    if (this.probing || this.failures >= this.options.threshold) {
      this.openedAt = this.now();
      this.probing = false;
    }
  }
}
