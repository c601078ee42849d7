// The thread that owns one onnxruntime session (the "worker-thread" executor).
// onnxruntime-node runs inference synchronously on the calling thread; running it here
// keeps the server's event loop free while a batch computes (probes, /metrics, deadlines, queueing).
import { parentPort, workerData } from "node:worker_threads";
import { openOrtSession, runOrt } from "./ort-session.js";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./session.js";

const port = parentPort!;
const { file, options } = workerData as WorkerInit;
const reply = (message: WorkerReply) => port.postMessage(message);

try {
  const opened = await openOrtSession(file, options);
  const { inputs, outputs, provider, fallback } = opened;
  reply({ type: "opened", inputs, outputs, provider, ...(fallback !== undefined ? { fallback } : {}) });
  port.on("message", async (request: WorkerRequest) => {
    try {
      reply({ type: "result", id: request.id, outputs: await runOrt(opened, request.feeds, request.outputNames) });
    } catch (err) {
      reply({ type: "error", id: request.id, message: (err as Error).message });
    }
  });
} catch (err) {
  reply({ type: "failed", message: (err as Error).message });
}
