// What the result cache needs from a store. Backends may throw or reject on any
// call; the cache turns that into a miss and counts it, never into a request error.
export interface CacheBackend {
  /** Metric label and `ResultCache.backend` value. */
  readonly name: "memory" | "redis";
  /** Resolves true once the store takes commands, false if it does not within timeoutMs. Never rejects. */
  whenReady(timeoutMs: number): Promise<boolean>;
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, value: Buffer): Promise<void>;
  close(): Promise<void>;
}
