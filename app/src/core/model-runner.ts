// One loaded model version behind its batch queue: turns queued requests into
// onnxruntime runs and records queue and compute metrics.
import type { Logger } from "pino";
import { Batcher, type BatcherLimits } from "./batcher.js";
import { batchKey, batchRows, concatRows, isBatchable, splitRows } from "./batch-tensors.js";
import type { Metrics } from "../observability/metrics.js";
import type { AdmissionController } from "./admission.js";
import type { Tensor } from "../protocol/tensor.js";
import type { ModelSession } from "./session.js";
import type { VersionStatistics } from "./statistics.js";

interface InferJob {
  inputs: Tensor[];
  outputs: string[];
}

export interface ModelRunnerOptions {
  name: string;
  session: ModelSession;
  limits: BatcherLimits;
  /** false runs every request alone (queue limits and deadlines still apply). */
  batching: boolean;
  metrics: Metrics;
  logger: Logger;
  /** The model's admission control, told each batch's shortest queue wait (the signal its limit follows). Default none. */
  admission?: AdmissionController;
  /** Where this version's executions and queue waits are counted (the statistics extension). */
  statistics: VersionStatistics;
}

export class ModelRunner {
  readonly batchable: boolean;
  private readonly batcher: Batcher<InferJob, Tensor[] | Error>;

  constructor(private readonly options: ModelRunnerOptions) {
    const { session, metrics, name } = options;
    this.batchable = options.batching && isBatchable(session.inputs, session.outputs);
    const labels = { model: name };
    // The gauge is per model, summed over its versions: each runner adds its own changes.
    let depth = 0;
    metrics.queueDepth.inc(labels, 0);
    this.batcher = new Batcher(options.limits, (jobs) => this.execute(jobs), {
      depth: (n) => {
        metrics.queueDepth.inc(labels, n - depth);
        depth = n;
      },
      dispatch: (waited, rows) => {
        for (const ms of waited) {
          metrics.queueWait.observe(labels, ms / 1000);
          options.statistics.queued(ms * 1e6);
        }
        options.admission?.observeQueueWait(Math.min(...waited));
        metrics.batchSize.observe(labels, rows);
      },
      rejected: (reason) => metrics.rejected.inc({ model: name, reason }),
    });
  }

  /** Requests waiting in this model's queue. */
  get depth(): number {
    return this.batcher.depth;
  }

  /** Runs what is queued without waiting for batch companions (shutdown). */
  flush(): void {
    this.batcher.flush();
  }

  /** Queues one request; resolves with the requested outputs in the requested order. */
  async infer(inputs: Tensor[], outputs: string[], deadline: number): Promise<Tensor[]> {
    const rows = batchRows(inputs);
    const key = this.batchable && rows !== undefined ? batchKey(inputs) : undefined;
    const result = await this.batcher.submit({ inputs, outputs }, { rows: rows ?? 1, key, deadline });
    if (result instanceof Error) throw result;
    return result;
  }

  private async run(feeds: Tensor[], outputs: string[]): Promise<Tensor[]> {
    const end = this.options.metrics.computeDuration.startTimer({ model: this.options.name });
    const started = process.hrtime.bigint();
    try {
      const result = await this.options.session.run(feeds, outputs);
      this.options.statistics.execution(batchRows(feeds) ?? 1, Number(process.hrtime.bigint() - started));
      return result;
    } finally {
      end();
    }
  }

  private async execute(jobs: InferJob[]): Promise<(Tensor[] | Error)[]> {
    const alone = (job: InferJob) => this.run(job.inputs, job.outputs).catch((err: unknown) => toError(err));
    if (jobs.length === 1) return [await alone(jobs[0]!)];
    const { session } = this.options;
    // Run every output any job asked for, once, then hand each job its own selection.
    const wanted = new Set(jobs.flatMap((j) => j.outputs));
    const names = session.outputs.map((o) => o.name).filter((n) => wanted.has(n));
    const feeds = session.inputs.map((spec) => concatRows(jobs.map((j) => j.inputs.find((t) => t.name === spec.name)!)));
    let stacked: Tensor[];
    try {
      stacked = await this.run(feeds, names);
    } catch (err) {
      // One request's values must not fail its batch companions: retry each on its own.
      this.options.logger.warn({ model: this.options.name, jobs: jobs.length, err: toError(err).message }, "batched run failed; running its requests one by one");
      const results: (Tensor[] | Error)[] = [];
      for (const job of jobs) results.push(await alone(job));
      return results;
    }
    const rows = jobs.map((j) => batchRows(j.inputs)!);
    const pieces = new Map(stacked.map((t) => [t.name, splitRows(t, rows)]));
    return jobs.map((job, i) => job.outputs.map((name) => pieces.get(name)![i]!));
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
