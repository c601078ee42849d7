// Requests accepted and not yet answered, across every front door: a drain stops new work,
// then waits until the last of them has been answered.
export class InFlight {
  private active = 0;
  private idle: (() => void) | undefined;
  private stopping = false;

  get count(): number {
    return this.active;
  }

  /** True from the start of a drain: front doors refuse new work. */
  get draining(): boolean {
    return this.stopping;
  }

  begin(): void {
    this.active++;
  }

  end(): void {
    this.active--;
    if (this.active === 0) this.idle?.();
  }

  /** Marks the start of a drain and settles once nothing is in flight. */
  drain(): Promise<void> {
    this.stopping = true;
    return this.active === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.idle = resolve));
  }
}
