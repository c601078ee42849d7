// Triton's protocol extensions beyond V2's core, the same through every front door: model
// configuration, inference statistics and the model repository index. Field names are
// Triton's (triton-inference-server/common protobuf/model_config.proto and grpc_service.proto),
// so its clients' get_model_config, get_inference_statistics and get_model_repository_index read them.
import { HttpError } from "../protocol/errors.js";
import type { V2Datatype } from "../protocol/tensor.js";
import { isServing, type ModelRepository, type ModelVersion } from "./model-repository.js";

/** What Triton calls each V2 datatype in a model configuration (DataType in model_config.proto). */
const CONFIG_TYPE: Record<V2Datatype, string> = {
  BOOL: "TYPE_BOOL",
  UINT8: "TYPE_UINT8",
  UINT16: "TYPE_UINT16",
  UINT32: "TYPE_UINT32",
  UINT64: "TYPE_UINT64",
  INT8: "TYPE_INT8",
  INT16: "TYPE_INT16",
  INT32: "TYPE_INT32",
  INT64: "TYPE_INT64",
  FP16: "TYPE_FP16",
  FP32: "TYPE_FP32",
  FP64: "TYPE_FP64",
  BYTES: "TYPE_STRING",
};

/**
 * The effective configuration of a loaded version in Triton's ModelConfig shape. A version
 * that batches reports max_batch_size > 0 and, as Triton does, dims without the batch
 * dimension; one that never batches reports 0 and its full shapes.
 */
export function modelConfig(v: ModelVersion, cacheEnabled: boolean) {
  if (!isServing(v)) throw new HttpError(503, `model "${v.name}" version ${v.version} is not ready${v.error ? `: ${v.error}` : ""}`);
  const { session, runner } = v as Required<ModelVersion>;
  const batched = runner.batchable;
  const dims = (shape: readonly number[]) => (batched ? shape.slice(1) : [...shape]);
  return {
    name: v.name,
    platform: "onnxruntime_onnx",
    backend: "onnxruntime",
    max_batch_size: batched ? v.limits.maxBatchSize : 0,
    input: session.inputs.map((i) => ({ name: i.name, data_type: CONFIG_TYPE[i.datatype], dims: dims(i.shape) })),
    output: session.outputs.map((o) => ({ name: o.name, data_type: CONFIG_TYPE[o.datatype], dims: dims(o.shape), label_filename: v.labels.get(o.name)?.file ?? "" })),
    ...(batched ? { dynamic_batching: { preferred_batch_size: [], max_queue_delay_microseconds: v.limits.maxQueueDelayMs * 1000 } } : {}),
    response_cache: { enable: cacheEnabled },
  };
}

/** Statistics of every version of every model, of one model, or of one version (Triton's ModelStatistics list). */
export function modelStatistics(repository: ModelRepository, name?: string, version?: string) {
  const versions = name === undefined ? repository.models.flatMap((e) => e.versions) : version === undefined ? repository.entry(name).versions : [repository.version(name, version)];
  return versions.map((v) => v.statistics.snapshot(v.name, v.version));
}

const STATE = { loading: "LOADING", ready: "READY", failed: "UNAVAILABLE" } as const;

/** Every model version with its state (READY, LOADING, UNAVAILABLE) and why; only the ready ones when `readyOnly`. */
export function repositoryIndex(repository: ModelRepository, readyOnly: boolean) {
  const index = repository.models.flatMap((e) =>
    e.error
      ? [{ name: e.name, version: "", state: "UNAVAILABLE", reason: e.error }]
      : e.versions.map((v) => {
          const serving = isServing(v);
          const reason = v.error ?? v.session?.failure?.message ?? "";
          return { name: v.name, version: v.version, state: serving ? "READY" : v.state === "ready" ? "UNAVAILABLE" : STATE[v.state], reason };
        }),
  );
  return readyOnly ? index.filter((m) => m.state === "READY") : index;
}
