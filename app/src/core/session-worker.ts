// The thread that owns one onnxruntime session. onnxruntime-node runs inference
// synchronously on the calling thread; running it here keeps the server's event
// loop free while a batch computes (probes, /metrics, deadlines, queueing).
import { parentPort, workerData } from "node:worker_threads";
import "./ort-float16.js";
import * as ort from "onnxruntime-node";
import { ORT_TYPE_OF_V2, V2_DATATYPE_OF_ORT, type OrtType, type Tensor, type TensorData, type TensorSpec } from "../protocol/tensor.js";
import type { SessionOptions, WorkerInit, WorkerReply, WorkerRequest } from "./session.js";

function specs(metadata: readonly ort.InferenceSession.ValueMetadata[], kind: string): TensorSpec[] {
  return metadata.map((m) => {
    if (!m.isTensor) throw new Error(`${kind} "${m.name}" is not a tensor; only tensor inputs and outputs are served`);
    const datatype = V2_DATATYPE_OF_ORT[m.type as OrtType];
    if (!datatype) throw new Error(`${kind} "${m.name}" has element type ${m.type}, which the V2 protocol cannot carry here`);
    // Symbolic (named) and unknown dimensions are dynamic: -1 in V2 metadata.
    return { name: m.name, datatype, shape: m.shape.map((d) => (typeof d === "number" && d >= 0 ? d : -1)) };
  });
}

/** Opens the model on the wanted provider; CUDA that cannot start falls back to CPU and says why. */
async function open(file: string, options: SessionOptions): Promise<{ session: ort.InferenceSession; fallback?: string }> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    // Idle intra-op threads sleep instead of spinning: spinning steals the cores that the
    // event loop needs to parse and answer requests (2-3x slower batches under HTTP load, npm run bench).
    extra: { session: { intra_op: { allow_spinning: "0" } } },
    ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(options.interOpThreads > 0 ? { interOpNumThreads: options.interOpThreads } : {}),
  };
  if (options.provider === "cuda") {
    try {
      return { session: await ort.InferenceSession.create(file, { ...base, executionProviders: ["cuda"] }) };
    } catch (err) {
      const session = await ort.InferenceSession.create(file, { ...base, executionProviders: ["cpu"] });
      return { session, fallback: (err as Error).message };
    }
  }
  return { session: await ort.InferenceSession.create(file, { ...base, executionProviders: ["cpu"] }) };
}

const port = parentPort!;
const { file, options } = workerData as WorkerInit;
const reply = (message: WorkerReply) => port.postMessage(message);

try {
  const { session, fallback } = await open(file, options);
  const inputs = specs(session.inputMetadata, "input");
  const outputs = specs(session.outputMetadata, "output");
  const provider = fallback === undefined ? options.provider : "cpu";
  reply({ type: "opened", inputs, outputs, provider, ...(fallback !== undefined ? { fallback } : {}) });
  port.on("message", async (request: WorkerRequest) => {
    try {
      const feeds: Record<string, ort.Tensor> = {};
      for (const t of request.feeds) feeds[t.name] = new ort.Tensor(ORT_TYPE_OF_V2[t.datatype], t.data as never, t.shape);
      const result = await session.run(feeds, request.outputNames);
      const tensors: Tensor[] = request.outputNames.map((name) => {
        const value = result[name] as ort.Tensor;
        return { name, datatype: outputs.find((o) => o.name === name)!.datatype, shape: [...value.dims], data: value.data as TensorData };
      });
      reply({ type: "result", id: request.id, outputs: tensors });
    } catch (err) {
      reply({ type: "error", id: request.id, message: (err as Error).message });
    }
  });
} catch (err) {
  reply({ type: "failed", message: (err as Error).message });
}
