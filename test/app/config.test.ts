import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BUNDLED_MODEL_REPOSITORY, ConfigError, loadConfig } from "../../app/src/config.js";

test("with no variables set every setting has its documented default", () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.grpcPort, undefined, "gRPC is off unless GRPC_PORT is set");
  assert.equal(c.drainWindowMs, 10_000);
  assert.equal(c.host, "0.0.0.0");
  assert.equal(c.modelRepository, BUNDLED_MODEL_REPOSITORY);
  assert.ok(c.modelRepository.endsWith(path.join("app", "models")));
  assert.equal(c.executionProvider, "cpu");
  assert.equal(c.intraOpThreads, 0);
  assert.equal(c.interOpThreads, 0);
  assert.equal(c.batching, true);
  assert.deepEqual(c.limits, { maxBatchSize: 32, maxQueueDelayMs: 5, maxQueueSize: 256 });
  assert.equal(c.requestTimeoutMs, 30_000);
  assert.equal(c.shutdownGraceMs, 25_000);
  assert.equal(c.bodyLimitBytes, 8 * 1024 * 1024);
  assert.equal(c.maxTensorElements, 4_194_304);
  assert.deepEqual(c.authTokens, []);
  assert.equal(c.logLevel, "info");
  assert.deepEqual(c.cache, { enabled: true, ttlSeconds: 300, memoryMaxBytes: 64 * 1024 * 1024, redisTimeoutMs: 100 });
});

test("values are parsed into typed settings, cache settings map onto CacheSettings", () => {
  const c = loadConfig({
    PORT: "9000",
    HOST: "127.0.0.1",
    MODEL_REPOSITORY: "/srv/models",
    EXECUTION_PROVIDER: "cuda",
    ORT_INTRA_OP_THREADS: "4",
    ORT_INTER_OP_THREADS: "1",
    BATCHING: "off",
    MAX_BATCH_SIZE: "64",
    MAX_QUEUE_DELAY_MS: "0",
    MAX_QUEUE_SIZE: "10",
    REQUEST_TIMEOUT_MS: "1500",
    SHUTDOWN_GRACE_MS: "0",
    BODY_LIMIT: "512kb",
    AUTH_TOKENS: "abc,def",
    LOG_LEVEL: "warn",
    REDIS_URL: "rediss://user:pw@redis.internal:6379/0",
    CACHE_TTL_SECONDS: "60",
    CACHE_MAX_BYTES: "1mb",
    CACHE_ENABLED: "false",
    REDIS_TIMEOUT_MS: "20",
  });
  assert.equal(c.port, 9000);
  assert.equal(c.modelRepository, "/srv/models");
  assert.equal(c.executionProvider, "cuda");
  assert.equal(c.batching, false);
  assert.deepEqual(c.limits, { maxBatchSize: 64, maxQueueDelayMs: 0, maxQueueSize: 10 });
  assert.equal(c.bodyLimitBytes, 512 * 1024);
  assert.deepEqual(c.authTokens, ["abc", "def"]);
  assert.deepEqual(c.cache, { enabled: false, redisUrl: "rediss://user:pw@redis.internal:6379/0", ttlSeconds: 60, memoryMaxBytes: 1024 * 1024, redisTimeoutMs: 20 });
});

test("GRPC_PORT turns the gRPC front door on; the drain window fits inside the grace period", () => {
  assert.equal(loadConfig({ GRPC_PORT: "8081" }).grpcPort, 8081);
  assert.equal(loadConfig({ GRPC_PORT: "off" }).grpcPort, undefined);
  assert.equal(loadConfig({ DRAIN_WINDOW_MS: "2500" }).drainWindowMs, 2500);
  // The default shrinks to a shorter grace period; an explicit window longer than it is refused.
  assert.equal(loadConfig({ SHUTDOWN_GRACE_MS: "4000" }).drainWindowMs, 4000);
  assert.throws(() => loadConfig({ SHUTDOWN_GRACE_MS: "4000", DRAIN_WINDOW_MS: "5000" }), /^ConfigError: DRAIN_WINDOW_MS must be at most SHUTDOWN_GRACE_MS \(4000\), got 5000$/);
});

test("empty variables count as unset", () => {
  assert.equal(loadConfig({ PORT: "", REDIS_URL: "" }).port, 8080);
  assert.equal(loadConfig({ REDIS_URL: "" }).cache.redisUrl, undefined);
});

const BAD: [Record<string, string>, string][] = [
  [{ PORT: "abc" }, 'PORT must be an integer 0-65535, got "abc"'],
  [{ PORT: "70000" }, 'PORT must be an integer 0-65535, got "70000"'],
  [{ PORT: "80.5" }, 'PORT must be an integer 0-65535, got "80.5"'],
  [{ GRPC_PORT: "on" }, 'GRPC_PORT must be an integer 0-65535 or off, got "on"'],
  [{ DRAIN_WINDOW_MS: "-1" }, 'DRAIN_WINDOW_MS must be an integer 0-3600000, got "-1"'],
  [{ EXECUTION_PROVIDER: "gpu" }, 'EXECUTION_PROVIDER must be one of cpu, cuda, got "gpu"'],
  [{ ORT_INTRA_OP_THREADS: "-1" }, 'ORT_INTRA_OP_THREADS must be an integer 0-1024, got "-1"'],
  [{ BATCHING: "maybe" }, 'BATCHING must be one of true, false, 1, 0, on, off, got "maybe"'],
  [{ MAX_BATCH_SIZE: "0" }, 'MAX_BATCH_SIZE must be an integer 1-65536, got "0"'],
  [{ MAX_QUEUE_DELAY_MS: "1e3" }, 'MAX_QUEUE_DELAY_MS must be an integer 0-60000, got "1e3"'],
  [{ MAX_QUEUE_SIZE: "lots" }, 'MAX_QUEUE_SIZE must be an integer 1-1000000, got "lots"'],
  [{ REQUEST_TIMEOUT_MS: "0" }, 'REQUEST_TIMEOUT_MS must be an integer 1-3600000, got "0"'],
  [{ SHUTDOWN_GRACE_MS: "soon" }, 'SHUTDOWN_GRACE_MS must be an integer 0-3600000, got "soon"'],
  [{ BODY_LIMIT: "10 parsecs" }, 'BODY_LIMIT must be a size like 1048576, 512kb or 8mb (units b, kb, mb, gb), got "10 parsecs"'],
  [{ AUTH_TOKENS: "a b" }, 'AUTH_TOKENS must be a comma-separated list of tokens without spaces, got "a b"'],
  [{ LOG_LEVEL: "verbose" }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
  [{ CACHE_ENABLED: "yes please" }, 'CACHE_ENABLED must be one of true, false, 1, 0, on, off, got "yes please"'],
  [{ REDIS_URL: "http://redis:6379" }, 'REDIS_URL must be a redis:// or rediss:// URL, got "http://redis:6379"'],
  [{ CACHE_TTL_SECONDS: "0" }, 'CACHE_TTL_SECONDS must be an integer 1-31536000, got "0"'],
  [{ CACHE_MAX_BYTES: "-5" }, 'CACHE_MAX_BYTES must be a size like 1048576, 512kb or 8mb (units b, kb, mb, gb), got "-5"'],
  [{ REDIS_TIMEOUT_MS: "fast" }, 'REDIS_TIMEOUT_MS must be an integer 1-60000, got "fast"'],
  [{ MAX_TENSOR_ELEMENTS: "0" }, 'MAX_TENSOR_ELEMENTS must be an integer 1-2147483647, got "0"'],
];

for (const [env, message] of BAD) {
  test(`rejects ${JSON.stringify(env)} with one message naming the variable`, () => {
    assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && err.message === message);
  });
}

test("several bad variables are reported together in one message", () => {
  assert.throws(
    () => loadConfig({ PORT: "x", LOG_LEVEL: "loud" }),
    (err: unknown) => err instanceof ConfigError && /^PORT must be .*; LOG_LEVEL must be /.test(err.message),
  );
});

test("AUTH_TOKENS_FILE adds one token per line (blank lines and # comments skipped); a missing file is named", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "tokens-"));
  try {
    const file = path.join(dir, "tokens");
    await writeFile(file, "# rotated 2026-01\nt1\n\n  t2  \n");
    assert.deepEqual(loadConfig({ AUTH_TOKENS: "t0", AUTH_TOKENS_FILE: file }).authTokens, ["t0", "t1", "t2"]);
    await writeFile(file, "\n# none\n");
    assert.throws(() => loadConfig({ AUTH_TOKENS_FILE: file }), /AUTH_TOKENS_FILE must contain at least one token/);
    assert.throws(() => loadConfig({ AUTH_TOKENS_FILE: path.join(dir, "missing") }), /^ConfigError: AUTH_TOKENS_FILE must be a readable file, got ".*missing"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
