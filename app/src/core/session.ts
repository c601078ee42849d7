// The onnxruntime boundary: each model version runs on the configured execution provider
// (CUDA falls back to CPU with a warning), on one of two executors:
// - "worker-thread" (default): a thread of its own (session-worker.ts), so that a batch that
//   computes for milliseconds never holds up the event loop (probes, /metrics, deadlines);
// - "event-loop": on the server's own thread, for light models whose batch takes less time
//   than handing it to a thread and back (postMessage both ways, a wake-up of each thread:
//   9-14 % of the main thread's time per request for the bundled classifier on a quiet host, docs/bench.md).
//   onnxruntime-node runs a session synchronously on the calling thread (its backend.js
//   calls the binding's run() inside a setImmediate), so the loop is busy for the whole batch.
// This side exposes the model's declared tensors and an async run().
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { ExecutionProvider } from "../config.js";
import type { Tensor, TensorSpec } from "../protocol/tensor.js";
import type { SessionOptions } from "./ort-session.js";

/** Where a model version's runs execute (model config.json `executor`). */
export const EXECUTORS = ["worker-thread", "event-loop"] as const;
export type Executor = (typeof EXECUTORS)[number];

export type { SessionOptions } from "./ort-session.js";

export interface ModelSession {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  /** The provider the session actually runs on. */
  readonly provider: ExecutionProvider;
  /** Set once the worker thread has died; every later run fails with it. */
  readonly failure: Error | undefined;
  run(feeds: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
  release(): Promise<void>;
}

/** What the worker is started with. */
export interface WorkerInit {
  file: string;
  options: SessionOptions;
}

export type WorkerRequest = { id: number; feeds: readonly Tensor[]; outputNames: string[] };

export type WorkerReply =
  | { type: "opened"; inputs: TensorSpec[]; outputs: TensorSpec[]; provider: ExecutionProvider; fallback?: string }
  | { type: "failed"; message: string }
  | { type: "result"; id: number; outputs: Tensor[] }
  | { type: "error"; id: number; message: string };

function startWorker(init: WorkerInit): Worker {
  const ext = path.extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./session-worker${ext}`, import.meta.url);
  if (ext === ".ts") {
    // Running from source under tsx: a worker does not inherit tsx's loader, so it registers it first.
    const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
    return new Worker(bootstrap, { eval: true, workerData: init });
  }
  return new Worker(entry, { workerData: init });
}

/** Opens a model file on the executor asked for (default a worker thread of its own); the returned session's `provider` says where it runs. */
export async function openSession(file: string, options: SessionOptions, logger: Logger, executor: Executor = "worker-thread"): Promise<ModelSession> {
  const session = executor === "event-loop" ? await openOnEventLoop(file, options) : await openInWorker(file, options);
  if (session.fallback !== undefined) {
    logger.warn({ model: file, err: session.fallback }, "CUDA execution provider not available; falling back to CPU");
  }
  return session;
}

type Opened = ModelSession & { fallback?: string };

async function openOnEventLoop(file: string, options: SessionOptions): Promise<Opened> {
  // Loaded only here: it hides Float16Array from this thread (see ort-float16.ts).
  const { openOrtSession, runOrt } = await import("./ort-session.js");
  const opened = await openOrtSession(file, options);
  return {
    inputs: opened.inputs,
    outputs: opened.outputs,
    provider: opened.provider,
    ...(opened.fallback !== undefined ? { fallback: opened.fallback } : {}),
    failure: undefined,
    run: (feeds, outputNames) => runOrt(opened, feeds, outputNames),
    release: () => opened.session.release(),
  };
}

async function openInWorker(file: string, options: SessionOptions): Promise<Opened> {
  const { provider, intraOpThreads, interOpThreads } = options;
  const worker = startWorker({ file, options: { provider, intraOpThreads, interOpThreads } });
  const pending = new Map<number, { resolve(outputs: Tensor[]): void; reject(err: Error): void }>();
  let broken: Error | undefined;
  let nextId = 0;

  const opened = new Promise<Extract<WorkerReply, { type: "opened" }>>((resolve, reject) => {
    const fail = (err: Error) => {
      broken ??= err;
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    worker.on("message", (msg: WorkerReply) => {
      if (msg.type === "opened") return resolve(msg);
      if (msg.type === "failed") return fail(new Error(msg.message));
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.type === "result") p?.resolve(msg.outputs);
      else p?.reject(new Error(msg.message));
    });
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`onnxruntime worker for ${file} exited (code ${code})`)));
  });

  let info: Extract<WorkerReply, { type: "opened" }>;
  try {
    info = await opened;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return {
    inputs: info.inputs,
    outputs: info.outputs,
    provider: info.provider,
    ...(info.fallback !== undefined ? { fallback: info.fallback } : {}),
    get failure() {
      return broken;
    },
    run(feeds, outputNames) {
      if (broken) return Promise.reject(broken);
      const id = nextId++;
      return new Promise<Tensor[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, feeds, outputNames: [...outputNames] } satisfies WorkerRequest);
      });
    },
    async release() {
      await worker.terminate();
    },
  };
}
