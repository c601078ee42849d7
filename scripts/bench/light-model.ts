// The light-model part of the benchmark: the bundled spam classifier, whose graph runs
// in a fraction of a millisecond, so that HTTP, JSON and the server's own bookkeeping
// are what the figures show. Request bodies carry distinct texts (nothing is coalesced
// or cached) as JSON or as binary BYTES tensors; the raw baseline runs the same model
// file in onnxruntime through the server's session code at the same batch size.
import { loadExamples } from "../train/dataset.js";
import type { ModelSession } from "../../app/src/core/session.js";

export const LIGHT_MODEL = "spam-classifier";
/** Characters kept of each message: sentence-sized requests, as a chat or form would send. */
const TEXT_CHARS = 200;

/** Distinct texts: every corpus message cut to TEXT_CHARS characters, duplicates dropped. */
export function lightTexts(): string[] {
  return [...new Set(loadExamples().map((e) => e.text.slice(0, TEXT_CHARS)))];
}

/** The texts of request `i` when each carries `perRequest` of them (a rotation over all texts). */
function slice(texts: readonly string[], perRequest: number, i: number): string[] {
  return Array.from({ length: perRequest }, (_, k) => texts[(i * perRequest + k) % texts.length]!);
}

const requestCount = (texts: readonly string[], perRequest: number) => Math.floor(texts.length / perRequest);

/** JSON request bodies, `perRequest` texts each. */
export function lightJsonBodies(texts: readonly string[], perRequest: number): string[] {
  return Array.from({ length: requestCount(texts, perRequest) }, (_, i) =>
    JSON.stringify({ inputs: [{ name: "text", datatype: "BYTES", shape: [perRequest], data: slice(texts, perRequest, i) }] }),
  );
}

/** One BYTES tensor as the binary extension lays it out: per element a 4-byte length, then UTF-8. */
export function bytesTensor(texts: readonly string[]): Buffer {
  return Buffer.concat(
    texts.flatMap((t) => {
      const utf8 = Buffer.from(t, "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32LE(utf8.length);
      return [length, utf8];
    }),
  );
}

/**
 * Binary request bodies (texts as a binary BYTES tensor, outputs asked for in binary). The
 * JSON headers are padded with spaces to one length, so one Inference-Header-Content-Length
 * fits every body and the load generator can send fixed headers.
 */
export function lightBinaryBodies(texts: readonly string[], perRequest: number): { bodies: Buffer[]; headers: Record<string, string> } {
  const parts = Array.from({ length: requestCount(texts, perRequest) }, (_, i) => {
    const data = bytesTensor(slice(texts, perRequest, i));
    const header = JSON.stringify({
      inputs: [{ name: "text", datatype: "BYTES", shape: [perRequest], parameters: { binary_data_size: data.length } }],
      parameters: { binary_data_output: true },
    });
    return { header, data };
  });
  const width = Math.max(...parts.map((p) => Buffer.byteLength(p.header)));
  const bodies = parts.map((p) => Buffer.concat([Buffer.from(p.header.padEnd(width, " ")), p.data]));
  return { bodies, headers: { "content-type": "application/octet-stream", "inference-header-content-length": String(width) } };
}

/** A response body of the size and shape the server's JSON answer has, for the bare endpoint to send. */
export function lightAnswer(perRequest: number): string {
  return JSON.stringify({
    model_name: LIGHT_MODEL,
    model_version: "1",
    outputs: [
      { name: "probabilities", datatype: "FP32", shape: [perRequest, 2], data: Array.from({ length: perRequest }, () => [0.01623639650642872, 0.983763575553894]).flat() },
      { name: "label", datatype: "BYTES", shape: [perRequest], data: Array.from({ length: perRequest }, (_, i) => (i % 2 ? "spam" : "ham")) },
    ],
  });
}

export interface RawTextResult {
  batchSize: number;
  /** Texts per second. */
  samplesPerSecond: number;
  msPerRun: number;
}

/** The model run back to back on distinct texts, `batchSize` at a time, for about `seconds`. */
export async function rawOrtTexts(session: ModelSession, texts: readonly string[], batchSize: number, seconds: number): Promise<RawTextResult> {
  const outputNames = session.outputs.map((o) => o.name);
  const feeds = (i: number) => [{ name: "text", datatype: "BYTES" as const, shape: [batchSize], data: slice(texts, batchSize, i) }];
  for (let i = 0; i < 3; i++) await session.run(feeds(i), outputNames);
  let runs = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) await session.run(feeds(runs++), outputNames);
  const elapsed = (performance.now() - started) / 1000;
  return { batchSize, samplesPerSecond: (runs * batchSize) / elapsed, msPerRun: (elapsed * 1000) / runs };
}
