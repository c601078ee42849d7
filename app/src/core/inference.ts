// The one inference path every front door calls: "run this request on this model version".
// Resolves the version, checks the inputs against it, applies the deadline, and answers from
// the result cache or the model's runner. No transport types: REST and gRPC adapt to it.
import { cacheKey } from "../cache/key.js";
import type { ResultCache } from "../cache/result-cache.js";
import { packOutputs } from "../protocol/binary.js";
import { HttpError } from "../protocol/errors.js";
import { badRequest } from "../protocol/errors.js";
import { binaryOutputs, classifications, selectOutputs, toTensors, type InferRequest } from "../protocol/infer-request.js";
import { batchRows } from "./batch-tensors.js";
import { classify } from "./classification.js";
import { DeadlineExceededError, QueueFullError } from "./batcher.js";
import type { ModelRepository } from "./model-repository.js";

/** A model version that can take requests now (see InferenceService.resolve). */
export type ServingVersion = ReturnType<ModelRepository["serving"]>;

export interface InferenceCall {
  target: ServingVersion;
  request: InferRequest;
  /** Bytes after the JSON header (binary tensor data extension); default none. */
  binary?: Buffer;
  /** Epoch milliseconds by which the answer is due. */
  deadline: number;
}

export interface InferenceResult {
  model: string;
  version: string;
  /** Outputs returned as binary data; the rest are in the packed JSON part. */
  binaryOutputs: ReadonlySet<string>;
  /** Outputs packed as the binary extension lays them out (see protocol/binary.ts). */
  packed: Buffer;
}

/** The batcher refused one request (its deadline, a full queue): nothing about its inputs, so not shared with identical requests. */
const isAdmissionFailure = (err: unknown) => err instanceof QueueFullError || err instanceof DeadlineExceededError;

export class InferenceService {
  constructor(
    private readonly repository: ModelRepository,
    private readonly cache: ResultCache,
    private readonly maxTensorElements: number,
  ) {}

  /** The version a request names (default: the serving one); a 404 or 503 when it cannot take requests. Resolved before the body is read, so an unknown model is a 404 whatever the body. */
  resolve(model: string, version?: string): ServingVersion {
    return this.repository.serving(model, version);
  }

  async infer(call: InferenceCall): Promise<InferenceResult> {
    const v = call.target;
    const { request } = call;
    const started = process.hrtime.bigint();
    let rows = 0;
    let cache: "hit" | "miss" | undefined;
    try {
      const inputs = toTensors(request.inputs, v.session.inputs, this.maxTensorElements, call.binary);
      rows = batchRows(inputs) ?? 1;
      const outputs = selectOutputs(request.outputs, v.session.outputs);
      const binary = binaryOutputs(request, outputs);
      const classes = classifications(request, outputs);
      for (const name of classes.keys()) {
        const datatype = v.session.outputs.find((o) => o.name === name)!.datatype;
        if (datatype === "BYTES" || datatype === "BOOL") throw badRequest(`output "${name}" is ${datatype}; classification needs a numeric output`);
      }
      const compute = async () => {
        const tensors = await v.runner.infer(inputs, outputs, call.deadline);
        return packOutputs(classes.size === 0 ? tensors : tensors.map((t) => (classes.has(t.name) ? classify(t, classes.get(t.name)!, v.labels.get(t.name)?.labels) : t)), binary);
      };
      // parameters.cache = false asks for a fresh inference (no lookup, no store).
      const useCache = request.parameters?.cache !== false;
      const key = () => cacheKey({ model: v.name, version: v.version, outputs, binaryOutputs: binary, classification: classes, inputs });
      const packed = await (useCache
        ? this.cache.getOrCompute(key(), compute, isAdmissionFailure).then((r) => {
            cache = r.hit ? "hit" : "miss";
            return r.value;
          })
        : compute()
      ).catch((err: unknown) => {
        if (err instanceof QueueFullError) throw new HttpError(503, `model "${v.name}" is overloaded: ${err.message}; retry later`, { "Retry-After": "1" });
        if (err instanceof DeadlineExceededError) throw new HttpError(504, err.message);
        throw err;
      });
      const ns = Number(process.hrtime.bigint() - started);
      v.statistics.request({ ok: true, ns, rows, cache, cacheNs: cache === "hit" ? ns : 0 });
      return { model: v.name, version: v.version, binaryOutputs: binary, packed };
    } catch (err) {
      v.statistics.request({ ok: false, ns: Number(process.hrtime.bigint() - started), rows });
      throw err;
    }
  }
}
