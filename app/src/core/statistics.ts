// Per model version inference statistics in the shape of Triton's statistics extension
// (ModelStatistics in triton-inference-server/common protobuf/grpc_service.proto; REST
// GET /v2/models/{m}[/versions/{v}]/stats): cumulative counts and nanoseconds. Kept as
// numbers: 2^53 ns of cumulative time is 104 days, beyond which the figures lose precision.

export interface StatisticDuration {
  count: number;
  ns: number;
}

const duration = (): StatisticDuration => ({ count: 0, ns: 0 });
const add = (d: StatisticDuration, ns: number) => {
  d.count++;
  d.ns += ns;
};

interface BatchStatistics {
  compute_input: StatisticDuration;
  compute_infer: StatisticDuration;
  compute_output: StatisticDuration;
}

export class VersionStatistics {
  private lastInference = 0;
  private inferenceCount = 0;
  private executionCount = 0;
  private readonly stats = {
    success: duration(),
    fail: duration(),
    queue: duration(),
    // Input and output conversion happen inside the onnxruntime call here, so their time is in compute_infer.
    compute_input: duration(),
    compute_infer: duration(),
    compute_output: duration(),
    cache_hit: duration(),
    cache_miss: duration(),
  };
  private readonly batches = new Map<number, BatchStatistics>();

  /** One model run of `rows` rows (a batch of one or more requests) that took `ns`. */
  execution(rows: number, ns: number): void {
    this.executionCount++;
    add(this.stats.compute_infer, ns);
    let batch = this.batches.get(rows);
    if (!batch) this.batches.set(rows, (batch = { compute_input: duration(), compute_infer: duration(), compute_output: duration() }));
    add(batch.compute_infer, ns);
  }

  /** A request waited `ns` in the batch queue before its run started. */
  queued(ns: number): void {
    add(this.stats.queue, ns);
  }

  /**
   * One request answered: success or failure, its duration, its rows, and whether the
   * result cache answered it (Triton counts cache hits as successes but not as inferences).
   */
  request(outcome: { ok: boolean; ns: number; rows: number; cache?: "hit" | "miss"; cacheNs?: number }): void {
    this.lastInference = Date.now();
    add(outcome.ok ? this.stats.success : this.stats.fail, outcome.ns);
    if (outcome.cache) add(outcome.cache === "hit" ? this.stats.cache_hit : this.stats.cache_miss, outcome.cacheNs ?? 0);
    if (outcome.ok && outcome.cache !== "hit") this.inferenceCount += outcome.rows;
  }

  /** Triton's ModelStatistics of this version, field names as its JSON and protobuf spell them. */
  snapshot(name: string, version: string) {
    return {
      name,
      version,
      last_inference: this.lastInference,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: structuredClone(this.stats),
      batch_stats: [...this.batches.entries()].sort(([a], [b]) => a - b).map(([batch_size, s]) => ({ batch_size, ...structuredClone(s) })),
    };
  }
}
