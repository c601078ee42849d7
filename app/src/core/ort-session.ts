// One onnxruntime session, as both executors use it (session-worker.ts on its own thread,
// session.ts on the event loop): opening on the wanted provider, the declared tensors in V2
// terms, and one run from V2 tensors to V2 tensors.
import "./ort-float16.js";
import * as ort from "onnxruntime-node";
import { ORT_TYPE_OF_V2, V2_DATATYPE_OF_ORT, type OrtType, type Tensor, type TensorData, type TensorSpec } from "../protocol/tensor.js";
import type { ExecutionProvider } from "../config.js";

export interface SessionOptions {
  provider: ExecutionProvider;
  /** 0 lets onnxruntime choose. */
  intraOpThreads: number;
  interOpThreads: number;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** The provider it runs on. */
  provider: ExecutionProvider;
  /** Why CUDA could not start, when it fell back to CPU. */
  fallback?: string;
}

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
export async function openOrtSession(file: string, options: SessionOptions): Promise<OpenedSession> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    // Idle intra-op threads sleep instead of spinning: spinning steals the cores that the
    // event loop needs to parse and answer requests (2-3x slower batches under HTTP load, npm run bench).
    extra: { session: { intra_op: { allow_spinning: "0" } } },
    ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(options.interOpThreads > 0 ? { interOpNumThreads: options.interOpThreads } : {}),
  };
  let session: ort.InferenceSession;
  let fallback: string | undefined;
  if (options.provider === "cuda") {
    try {
      session = await ort.InferenceSession.create(file, { ...base, executionProviders: ["cuda"] });
    } catch (err) {
      session = await ort.InferenceSession.create(file, { ...base, executionProviders: ["cpu"] });
      fallback = (err as Error).message;
    }
  } else {
    session = await ort.InferenceSession.create(file, { ...base, executionProviders: ["cpu"] });
  }
  const opened: OpenedSession = {
    session,
    inputs: specs(session.inputMetadata, "input"),
    outputs: specs(session.outputMetadata, "output"),
    provider: fallback === undefined ? options.provider : "cpu",
  };
  if (fallback !== undefined) opened.fallback = fallback;
  return opened;
}

/** One run; the outputs come back in the order asked for. */
export async function runOrt(opened: OpenedSession, feeds: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const t of feeds) ortFeeds[t.name] = new ort.Tensor(ORT_TYPE_OF_V2[t.datatype], t.data as never, t.shape);
  const result = await opened.session.run(ortFeeds, outputNames);
  return outputNames.map((name) => {
    const value = result[name] as ort.Tensor;
    return { name, datatype: opened.outputs.find((o) => o.name === name)!.datatype, shape: [...value.dims], data: value.data as TensorData };
  });
}
