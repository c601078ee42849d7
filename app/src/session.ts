// The onnxruntime boundary: opens a model on the configured execution provider
// (CUDA falls back to CPU with a warning), reads its declared inputs/outputs and
// runs it on the protocol's typed tensors.
import * as ort from "onnxruntime-node";
import type { Logger } from "pino";
import type { ExecutionProvider } from "./config.js";
import { V2_DATATYPE_OF_ORT, ORT_TYPE_OF_V2, type Tensor, type TensorData, type TensorSpec, type OrtType } from "./protocol.js";

export interface SessionOptions {
  provider: ExecutionProvider;
  /** 0 lets onnxruntime choose. */
  intraOpThreads: number;
  interOpThreads: number;
}

export interface ModelSession {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  /** The provider the session actually runs on. */
  readonly provider: ExecutionProvider;
  run(feeds: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
  release(): Promise<void>;
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

/** Opens a model file; the returned session's `provider` says where it runs. */
export async function openSession(file: string, options: SessionOptions, logger: Logger): Promise<ModelSession> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(options.interOpThreads > 0 ? { interOpNumThreads: options.interOpThreads } : {}),
  };
  let provider = options.provider;
  let session: ort.InferenceSession;
  if (provider === "cuda") {
    try {
      session = await ort.InferenceSession.create(file, { ...base, executionProviders: ["cuda"] });
    } catch (err) {
      logger.warn({ model: file, err: (err as Error).message }, "CUDA execution provider not available; falling back to CPU");
      provider = "cpu";
      session = await ort.InferenceSession.create(file, { ...base, executionProviders: ["cpu"] });
    }
  } else {
    session = await ort.InferenceSession.create(file, { ...base, executionProviders: ["cpu"] });
  }
  let inputs: TensorSpec[];
  let outputs: TensorSpec[];
  try {
    inputs = specs(session.inputMetadata, "input");
    outputs = specs(session.outputMetadata, "output");
  } catch (err) {
    await session.release();
    throw err;
  }
  return {
    inputs,
    outputs,
    provider,
    async run(feeds, outputNames) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const t of feeds) ortFeeds[t.name] = new ort.Tensor(ORT_TYPE_OF_V2[t.datatype], t.data as never, t.shape);
      const result = await session.run(ortFeeds, [...outputNames]);
      return outputNames.map((name) => {
        const value = result[name] as ort.Tensor;
        const datatype = outputs.find((o) => o.name === name)!.datatype;
        return { name, datatype, shape: [...value.dims], data: value.data as TensorData };
      });
    },
    release: () => session.release(),
  };
}
