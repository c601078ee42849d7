// The model repository: every `<name>/<version>/model.onnx` under one directory,
// with an optional `<name>/config.json` for its queueing limits. Each version is
// loaded, warmed with one synthetic inference, and then served; a failure is
// kept per version so that metadata and readiness can report it.
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import type { BatchingLimits } from "../config.js";
import { HttpError } from "../protocol/errors.js";
import type { Metrics } from "../observability/metrics.js";
import type { ModelAdmission } from "./admission.js";
import { ModelRunner } from "./model-runner.js";
import { VersionStatistics } from "./statistics.js";
import { convertElements } from "../protocol/json.js";
import { type Tensor, type TensorSpec } from "../protocol/tensor.js";
import { EXECUTORS, openSession, type Executor, type ModelSession, type SessionOptions } from "./session.js";

/** `<name>/config.json`: per-model overrides of the server-wide batching defaults. Unknown keys are an error. */
export const modelConfigSchema = z
  .object({
    /** Most rows (sum of first dims) per model run. */
    maxBatchSize: z.number().int().min(1).max(65536).optional(),
    /** Longest a request waits for others to join its batch, in ms. */
    maxQueueDelayMs: z.number().int().min(0).max(60_000).optional(),
    /** Most requests waiting for this model before new ones get 503. */
    maxQueueSize: z.number().int().min(1).max(1_000_000).optional(),
    /**
     * false: never stack requests for this model. Stacking assumes rows are independent;
     * a model that mixes rows (normalises over dim 0, say) must turn it off. Default true.
     */
    batching: z.boolean().optional(),
    /**
     * Labels of classification outputs: output name -> a text file in the model's directory,
     * one label per line by class index (Triton's label_filename). Used by the classification extension.
     */
    labels: z.record(z.string(), z.string().regex(/^[^/\\]+$/, "a file name in the model's directory")).optional(),
    /**
     * Where runs execute (session.ts): "worker-thread" (default) or "event-loop" for a light
     * model whose batch costs less than the hand-off to a thread (well under a millisecond).
     */
    executor: z.enum(EXECUTORS).optional(),
  })
  .strict();

export type ModelConfig = z.infer<typeof modelConfigSchema>;

export const MODEL_FILE = "model.onnx";
export const CONFIG_FILE = "config.json";
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const VERSION_PATTERN = /^[1-9]\d*$/;

export interface ModelVersion {
  readonly name: string;
  readonly version: string;
  readonly file: string;
  readonly limits: BatchingLimits;
  /** This model's config.json allows stacking requests (the server-wide BATCHING still applies). */
  readonly batching: boolean;
  /** Where its runs execute (config.json `executor`). */
  readonly executor: Executor;
  /** Class labels per output (config.json `labels`), for the classification extension. */
  readonly labels: ReadonlyMap<string, { file: string; labels: readonly string[] }>;
  readonly statistics: VersionStatistics;
  state: "loading" | "ready" | "failed";
  /** Why loading or warm-up failed. */
  error?: string;
  session?: ModelSession;
  runner?: ModelRunner;
}

/** Loaded, warmed, and its onnxruntime worker still alive. */
export function isServing(v: ModelVersion): boolean {
  return v.state === "ready" && v.session !== undefined && v.session.failure === undefined;
}

export interface ModelEntry {
  readonly name: string;
  /** Ascending by version number. */
  readonly versions: ModelVersion[];
  /** A problem with the model as a whole (bad config.json, no versions). */
  readonly error?: string;
}

export interface LoadOptions extends SessionOptions {
  batching: boolean;
  metrics: Metrics;
  /** Admission control per model, fed by each version's batch queue. Default none. */
  admission?: ModelAdmission;
}

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

async function readModelConfig(dir: string): Promise<ModelConfig> {
  const file = path.join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return {};
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const result = modelConfigSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join(".") : "config";
    throw new Error(`${file}: ${where}: ${issue.message} (allowed keys: maxBatchSize >= 1, maxQueueDelayMs >= 0, maxQueueSize >= 1, batching true/false, labels {output: file}, executor ${EXECUTORS.join("/")})`);
  }
  return result.data;
}

/** Every labels file a config names, read once: one label per line (a trailing newline adds none). */
async function readLabels(dir: string, files: Record<string, string>): Promise<Map<string, { file: string; labels: string[] }>> {
  const labels = new Map<string, { file: string; labels: string[] }>();
  for (const [output, file] of Object.entries(files)) {
    const text = await readFile(path.join(dir, file), "utf8").catch((err: Error) => {
      throw new Error(`${path.join(dir, CONFIG_FILE)}: labels.${output}: cannot read ${file}: ${err.message}`);
    });
    labels.set(output, { file, labels: text.replace(/\r?\n$/, "").split(/\r?\n/) });
  }
  return labels;
}

/** A zero-filled input of the declared shape with dynamic dims as 1: enough to warm every kernel once. */
export function syntheticInput(spec: TensorSpec): Tensor {
  const shape = spec.shape.map((d) => (d === -1 ? 1 : d));
  const n = shape.reduce((a, b) => a * b, 1);
  // Built by the protocol's own conversion, so the warm-up tensor is exactly what a request would produce.
  const data = convertElements(spec.name, spec.datatype, new Array<string | number>(n).fill(spec.datatype === "BYTES" ? "" : 0));
  return { name: spec.name, datatype: spec.datatype, shape, data };
}

export class ModelRepository {
  private constructor(
    readonly directory: string,
    private readonly entries: ModelEntry[],
    private readonly logger: Logger,
  ) {}

  /** Lists the models under `directory`; throws only when the directory itself is missing. */
  static async scan(directory: string, defaults: BatchingLimits, logger: Logger): Promise<ModelRepository> {
    if (!(await isDirectory(directory))) throw new Error(`MODEL_REPOSITORY ${directory} is not a directory`);
    const entries: ModelEntry[] = [];
    for (const name of (await readdir(directory)).sort()) {
      const dir = path.join(directory, name);
      if (!(await isDirectory(dir))) continue;
      if (!NAME_PATTERN.test(name)) {
        logger.warn({ model: name }, "skipping model directory: names are letters, digits, '_', '.', '-'");
        continue;
      }
      let config: ModelConfig;
      try {
        config = await readModelConfig(dir);
      } catch (err) {
        entries.push({ name, versions: [], error: (err as Error).message });
        continue;
      }
      const { batching = true, labels: labelFiles = {}, executor = "worker-thread", ...overrides } = config;
      const limits = { ...defaults, ...overrides };
      let labels: Map<string, { file: string; labels: string[] }>;
      try {
        labels = await readLabels(dir, labelFiles);
      } catch (err) {
        entries.push({ name, versions: [], error: (err as Error).message });
        continue;
      }
      const versions: ModelVersion[] = [];
      for (const version of await readdir(dir)) {
        if (!VERSION_PATTERN.test(version) || !(await isDirectory(path.join(dir, version)))) continue;
        versions.push({ name, version, file: path.join(dir, version, MODEL_FILE), limits, batching, executor, labels, statistics: new VersionStatistics(), state: "loading" });
      }
      versions.sort((a, b) => Number(a.version) - Number(b.version));
      entries.push(
        versions.length > 0
          ? { name, versions }
          : { name, versions, error: `no version directories (${dir}/<1,2,...>/${MODEL_FILE})` },
      );
    }
    if (entries.length === 0) logger.warn({ directory }, "model repository contains no models; the server will not become ready");
    return new ModelRepository(directory, entries, logger);
  }

  get models(): readonly ModelEntry[] {
    return this.entries;
  }

  /** Ready when there is at least one model and every version of every model is loaded, warmed and alive. */
  get ready(): boolean {
    return this.entries.length > 0 && this.entries.every((e) => !e.error && e.versions.every(isServing));
  }

  /** Loads and warms every version, one at a time; failures are logged and recorded, never thrown. */
  async loadAll(options: LoadOptions): Promise<void> {
    for (const entry of this.entries) {
      if (entry.error) this.logger.error({ model: entry.name, err: entry.error }, "model failed to load");
      for (const v of entry.versions) await this.load(v, options);
    }
  }

  private async load(v: ModelVersion, options: LoadOptions): Promise<void> {
    const log = this.logger.child({ model: v.name, version: v.version });
    const started = Date.now();
    try {
      const session = await openSession(v.file, options, log, v.executor);
      v.session = session;
      const unknown = [...v.labels.keys()].find((output) => !session.outputs.some((o) => o.name === output));
      if (unknown !== undefined) throw new Error(`config.json labels names output "${unknown}", which the model does not have; outputs: ${session.outputs.map((o) => o.name).join(", ")}`);
      // Warm-up: the first run allocates and tunes kernels; do it before taking traffic.
      await session.run(session.inputs.map(syntheticInput), session.outputs.map((o) => o.name));
      const admission = options.admission?.for(v.name);
      v.runner = new ModelRunner({ name: v.name, session, limits: v.limits, batching: options.batching && v.batching, metrics: options.metrics, logger: log, statistics: v.statistics, ...(admission ? { admission } : {}) });
      v.state = "ready";
      options.metrics.modelReady.set({ model: v.name, version: v.version }, 1);
      log.info(
        { provider: session.provider, batching: v.runner.batchable, limits: v.limits, ms: Date.now() - started },
        `model loaded and warmed on ${session.provider}`,
      );
    } catch (err) {
      v.state = "failed";
      v.error = `${v.file}: ${(err as Error).message}`;
      options.metrics.modelReady.set({ model: v.name, version: v.version }, 0);
      await v.session?.release().catch(() => undefined);
      v.session = undefined;
      log.error({ err: v.error }, "model failed to load");
    }
  }

  /** The entry of a model by name; 404 naming the models there are. */
  entry(name: string): ModelEntry {
    const entry = this.entries.find((e) => e.name === name);
    if (!entry) {
      const names = this.entries.map((e) => e.name).join(", ") || "none";
      throw new HttpError(404, `unknown model "${name}"; models: ${names}`);
    }
    return entry;
  }

  /** A version of a model (the highest when not given); 404 when unknown. */
  version(name: string, version?: string): ModelVersion {
    const entry = this.entry(name);
    if (entry.error) throw new HttpError(503, `model "${name}" failed to load: ${entry.error}`);
    const found = version === undefined ? entry.versions.at(-1) : entry.versions.find((v) => v.version === version);
    if (!found) {
      throw new HttpError(404, `unknown version "${version}" of model "${name}"; versions: ${entry.versions.map((v) => v.version).join(", ")}`);
    }
    return found;
  }

  /** A version that can take requests now; 503 saying why when it cannot. */
  serving(name: string, version?: string): ModelVersion & { session: ModelSession; runner: ModelRunner } {
    const v = this.version(name, version);
    if (v.state === "failed") throw new HttpError(503, `model "${name}" version ${v.version} failed to load: ${v.error}`);
    if (v.session?.failure) throw new HttpError(503, `model "${name}" version ${v.version} stopped: ${v.session.failure.message}`);
    if (!v.session || !v.runner) throw new HttpError(503, `model "${name}" version ${v.version} is still loading`, { "Retry-After": "1" });
    return v as ModelVersion & { session: ModelSession; runner: ModelRunner };
  }

  /** Stops waiting for batch companions everywhere: queued requests run as soon as they can. */
  flush(): void {
    for (const v of this.entries.flatMap((e) => e.versions)) v.runner?.flush();
  }

  async release(): Promise<void> {
    for (const v of this.entries.flatMap((e) => e.versions)) {
      await v.session?.release().catch(() => undefined);
      v.session = undefined;
      v.runner = undefined;
    }
  }
}
