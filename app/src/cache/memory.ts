// In-process result store: an LRU bounded by the bytes it holds, so a burst of
// large outputs cannot grow the heap past the configured budget.
import { LRUCache } from "lru-cache";
import type { CacheBackend } from "./backend.js";

export function createMemoryBackend(maxBytes: number, ttlSeconds: number): CacheBackend & { readonly bytes: number } {
  const lru = new LRUCache<string, Buffer>({
    maxSize: maxBytes,
    // Keys are 64-char hex digests; counting them keeps the bound honest for small values.
    sizeCalculation: (value, key) => Math.max(1, value.byteLength + key.length),
    ttl: ttlSeconds > 0 ? ttlSeconds * 1000 : 0,
  });
  return {
    name: "memory",
    get bytes() {
      return lru.calculatedSize;
    },
    whenReady: async () => true,
    async get(key) {
      return lru.get(key);
    },
    async set(key, value) {
      // An entry larger than the whole budget is not stored (lru-cache skips it).
      lru.set(key, value);
    },
    async close() {
      lru.clear();
    },
  };
}
