// Server settings: every one comes from an environment variable, is validated once
// at start, and a bad value stops the process with one message naming the variable.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** The result cache (cache/result-cache.ts). */
export interface CacheSettings {
  /** false = no storage; concurrent identical requests are still coalesced. */
  enabled: boolean;
  /** redis:// or rediss:// URL; when set, Redis replaces the in-memory LRU. */
  redisUrl?: string;
  /** Entry lifetime in seconds (memory and Redis); 0 = until evicted. */
  ttlSeconds: number;
  /** Byte budget of the in-memory LRU (values plus keys). */
  memoryMaxBytes: number;
  /** Per-command Redis timeout in milliseconds. */
  redisTimeoutMs: number;
  /** PEM CA to trust for rediss:// in addition to the system roots. Default: system roots only. */
  redisTlsCa?: string | Buffer;
  /** Consecutive backend failures that open the circuit breaker. Default 3. */
  breakerThreshold?: number;
  /** Milliseconds the breaker skips the backend before probing again. Default 5000. */
  breakerCooldownMs?: number;
}

export type ExecutionProvider = "cpu" | "cuda";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** Queueing and batching limits; the server-wide defaults, overridable per model (model-repository.ts). */
export interface BatchingLimits {
  /** Most rows (sum of first dims) one model run takes. */
  maxBatchSize: number;
  /** Longest a request waits for others to join its batch. */
  maxQueueDelayMs: number;
  /** Most requests waiting per model; past it requests are shed with 503. */
  maxQueueSize: number;
}

/** Admission control's server-wide settings (core/admission.ts); each model's limit bounds come from its batching limits. */
export interface ServerAdmissionSettings {
  /** false lets every request in at once (the batch queue's maxQueueSize is then the only bound). */
  enabled: boolean;
  /** Batch-queue wait the admission limit steers to. */
  targetQueueDelayMs: number;
  /** Longest a request waits in line for admission before a 503; 0 = refuse at once. */
  maxWaitMs: number;
  /** Most requests waiting in line per model; past it a 503 at once. */
  maxWaiting: number;
}

export interface AppConfig {
  port: number;
  /** Port of the gRPC front door; undefined = no gRPC. */
  grpcPort?: number;
  host: string;
  modelRepository: string;
  executionProvider: ExecutionProvider;
  /** 0 lets onnxruntime choose. */
  intraOpThreads: number;
  interOpThreads: number;
  /** Server processes sharing the port (node:cluster); 0 = one per CPU of the pod (cluster/cpus.ts). */
  workers: number;
  /** When false every request runs alone (still queued, so limits and deadlines hold). */
  batching: boolean;
  limits: BatchingLimits;
  requestTimeoutMs: number;
  shutdownGraceMs: number;
  /** After SIGTERM, how long both front doors keep accepting and serving (readiness already false) before they stop. */
  drainWindowMs: number;
  bodyLimitBytes: number;
  maxTensorElements: number;
  /** Bearer tokens accepted; empty means auth is off. */
  authTokens: string[];
  logLevel: LogLevel;
  cache: CacheSettings;
  /** Admission control before bodies are read (core/admission.ts); the per-model limits come from `limits`. */
  admission: ServerAdmissionSettings;
}

/** The bundled model repository (app/models), found from this file so `npm start` works from any directory. */
export const BUNDLED_MODEL_REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../models");

export class ConfigError extends Error {
  override name = "ConfigError";
}

interface Setting<T> {
  /** Default as the variable would spell it; undefined means optional. */
  default?: string;
  /** What is allowed, completing "X must be ...". */
  allowed: string;
  schema: z.ZodType<T>;
}

const integer = (min: number, max: number): Setting<number> => ({
  allowed: `an integer ${min}-${max}`,
  schema: z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max)),
});
const oneOf = <T extends string>(...values: T[]): Setting<T> => ({
  allowed: `one of ${values.join(", ")}`,
  schema: z.enum(values as [T, ...T[]]),
});
const BOOL_WORDS: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, on: true, off: false };
const bool: Setting<boolean> = {
  allowed: "one of true, false, 1, 0, on, off",
  schema: z
    .string()
    .refine((s) => s.toLowerCase() in BOOL_WORDS)
    .transform((s) => BOOL_WORDS[s.toLowerCase()]!),
};
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const size: Setting<number> = {
  allowed: "a size like 1048576, 512kb or 8mb (units b, kb, mb, gb)",
  schema: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i)
    .transform((s) => {
      const [, num, unit] = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s)!;
      return Math.floor(Number(num) * SIZE_UNITS[(unit || "b").toLowerCase()]!);
    })
    .pipe(z.number().int().min(1)),
};
const text = (allowed: string, pattern: RegExp): Setting<string> => ({ allowed, schema: z.string().regex(pattern) });
const withDefault = <T>(s: Setting<T>, d: string): Setting<T> => ({ ...s, default: d });

const MAX_INT = 2 ** 31 - 1;

/** Every variable the server reads, with its default and what it allows (docs/app.md lists the same). */
const SETTINGS = {
  PORT: withDefault(integer(0, 65535), "8080"),
  GRPC_PORT: withDefault({ allowed: "an integer 0-65535 or off", schema: z.union([z.literal("off").transform(() => undefined), integer(0, 65535).schema]) }, "off"),
  HOST: withDefault(text("a host name or IP address", /^[\w.:-]+$/), "0.0.0.0"),
  MODEL_REPOSITORY: withDefault(text("a directory path", /^.+$/), BUNDLED_MODEL_REPOSITORY),
  EXECUTION_PROVIDER: withDefault(oneOf("cpu", "cuda"), "cpu"),
  ORT_INTRA_OP_THREADS: withDefault(integer(0, 1024), "0"),
  ORT_INTER_OP_THREADS: withDefault(integer(0, 1024), "0"),
  WORKERS: withDefault(integer(0, 1024), "0"),
  BATCHING: withDefault(bool, "on"),
  MAX_BATCH_SIZE: withDefault(integer(1, 65536), "32"),
  MAX_QUEUE_DELAY_MS: withDefault(integer(0, 60_000), "5"),
  MAX_QUEUE_SIZE: withDefault(integer(1, 1_000_000), "256"),
  REQUEST_TIMEOUT_MS: withDefault(integer(1, 3_600_000), "30000"),
  SHUTDOWN_GRACE_MS: withDefault(integer(0, 3_600_000), "25000"),
  // 10 s: the NLB target group's deregistration delay as deployed (infra app.preStopSeconds, default 10).
  DRAIN_WINDOW_MS: withDefault(integer(0, 3_600_000), "10000"),
  BODY_LIMIT: withDefault(size, "8mb"),
  MAX_TENSOR_ELEMENTS: withDefault(integer(1, MAX_INT), "4194304"),
  AUTH_TOKENS: text("a comma-separated list of tokens without spaces", /^[^\s,]+(,[^\s,]+)*$/),
  AUTH_TOKENS_FILE: text("a file path", /^.+$/),
  LOG_LEVEL: withDefault(oneOf("fatal", "error", "warn", "info", "debug", "trace", "silent"), "info"),
  CACHE_ENABLED: withDefault(bool, "true"),
  REDIS_URL: text("a redis:// or rediss:// URL", /^rediss?:\/\/\S+$/),
  CACHE_TTL_SECONDS: withDefault(integer(1, 31_536_000), "300"),
  CACHE_MAX_BYTES: withDefault(size, "64mb"),
  REDIS_TIMEOUT_MS: withDefault(integer(1, 60_000), "100"),
  ADMISSION: withDefault(bool, "on"),
  ADMISSION_TARGET_QUEUE_MS: withDefault(integer(1, 60_000), "100"),
  ADMISSION_MAX_WAIT_MS: withDefault(integer(0, 60_000), "1000"),
  ADMISSION_MAX_WAITING: withDefault(integer(0, 1_000_000), "2048"),
} satisfies Record<string, Setting<unknown>>;

type Parsed = { [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K] extends Setting<infer T> ? T : never };

/** Reads tokens from a mounted file (one per line, # comments), e.g. a Kubernetes Secret volume. */
function readTokenFile(file: string): string[] {
  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`AUTH_TOKENS_FILE must be a readable file, got "${file}" (${(err as Error).message})`);
  }
  return content
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/**
 * Parses the server settings from an environment; throws one ConfigError that names every bad
 * variable, what it allows and the value it got. Empty strings count as unset.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    const raw = env[name]?.trim() || setting.default;
    if (raw === undefined) continue;
    const result = setting.schema.safeParse(raw);
    if (result.success) values[name] = result.data;
    else problems.push(`${name} must be ${setting.allowed}, got ${JSON.stringify(env[name])}`);
  }
  if (problems.length > 0) throw new ConfigError(problems.join("; "));
  const v = values as Partial<Parsed> & Omit<Parsed, "AUTH_TOKENS" | "AUTH_TOKENS_FILE" | "REDIS_URL">;

  const authTokens = [
    ...(v.AUTH_TOKENS ?? "").split(",").map((t) => t.trim()).filter((t) => t !== ""),
    ...(v.AUTH_TOKENS_FILE ? readTokenFile(v.AUTH_TOKENS_FILE) : []),
  ];
  if (v.AUTH_TOKENS_FILE && authTokens.length === 0) {
    throw new ConfigError(`AUTH_TOKENS_FILE must contain at least one token, got an empty file "${v.AUTH_TOKENS_FILE}"`);
  }

  // The window is spent inside the grace period (past it the process kills itself mid-drain):
  // the default shrinks to fit a short grace period, an explicit window must fit.
  const drainWindowMs = env.DRAIN_WINDOW_MS?.trim() ? v.DRAIN_WINDOW_MS : Math.min(v.DRAIN_WINDOW_MS, v.SHUTDOWN_GRACE_MS);
  if (drainWindowMs > v.SHUTDOWN_GRACE_MS) {
    throw new ConfigError(`DRAIN_WINDOW_MS must be at most SHUTDOWN_GRACE_MS (${v.SHUTDOWN_GRACE_MS}), got ${drainWindowMs}`);
  }

  return {
    port: v.PORT,
    ...(v.GRPC_PORT !== undefined ? { grpcPort: v.GRPC_PORT } : {}),
    host: v.HOST,
    modelRepository: path.resolve(v.MODEL_REPOSITORY),
    executionProvider: v.EXECUTION_PROVIDER,
    intraOpThreads: v.ORT_INTRA_OP_THREADS,
    interOpThreads: v.ORT_INTER_OP_THREADS,
    workers: v.WORKERS,
    batching: v.BATCHING,
    limits: { maxBatchSize: v.MAX_BATCH_SIZE, maxQueueDelayMs: v.MAX_QUEUE_DELAY_MS, maxQueueSize: v.MAX_QUEUE_SIZE },
    requestTimeoutMs: v.REQUEST_TIMEOUT_MS,
    shutdownGraceMs: v.SHUTDOWN_GRACE_MS,
    drainWindowMs,
    bodyLimitBytes: v.BODY_LIMIT,
    maxTensorElements: v.MAX_TENSOR_ELEMENTS,
    authTokens,
    logLevel: v.LOG_LEVEL,
    cache: {
      enabled: v.CACHE_ENABLED,
      ...(v.REDIS_URL ? { redisUrl: v.REDIS_URL } : {}),
      ttlSeconds: v.CACHE_TTL_SECONDS,
      memoryMaxBytes: v.CACHE_MAX_BYTES,
      redisTimeoutMs: v.REDIS_TIMEOUT_MS,
    },
    admission: {
      enabled: v.ADMISSION,
      targetQueueDelayMs: v.ADMISSION_TARGET_QUEUE_MS,
      maxWaitMs: v.ADMISSION_MAX_WAIT_MS,
      maxWaiting: v.ADMISSION_MAX_WAITING,
    },
  };
}
