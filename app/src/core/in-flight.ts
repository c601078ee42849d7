// Requests accepted and not yet answered, across every front door, and the two phases of a
// drain: first the window (not ready, still serving, connections closed after their answer),
// then refusing new work while the accepted requests finish.
export class InFlight {
  private active = 0;
  private idle: (() => void) | undefined;
  private windowOpen = false;
  private closed = false;

  get count(): number {
    return this.active;
  }

  /** True from the start of a drain: readiness fails, front doors close connections after each answer. */
  get draining(): boolean {
    return this.windowOpen || this.closed;
  }

  /** True once the drain window is over: front doors refuse new work. */
  get refusing(): boolean {
    return this.closed;
  }

  begin(): void {
    this.active++;
  }

  end(): void {
    this.active--;
    if (this.active === 0) this.idle?.();
  }

  /** Starts the drain window: requests are still served. */
  startDrain(): void {
    this.windowOpen = true;
  }

  /** Ends the window: new work is refused; settles once nothing is in flight. */
  drain(): Promise<void> {
    this.closed = true;
    return this.active === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.idle = resolve));
  }
}
