// What the result cache needs from a store. Backends may throw or reject on any
// call; the cache turns that into a miss and counts it, never into a request error.
export interface CacheBackend {
  /** Metric label and `ResultCache.backend` value. */
  readonly name: "memory" | "redis";
  /** False while the store cannot take commands (e.g. Redis reconnecting): calls are skipped. */
  isAvailable(): boolean;
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, value: Buffer): Promise<void>;
  close(): Promise<void>;
}
