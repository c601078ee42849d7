// The binary tensor data extension of the Open Inference Protocol (as Triton and KServe
// define it): the JSON header first, then each binary tensor's raw little-endian bytes,
// with the header's length in Inference-Header-Content-Length. Pure: no HTTP, no onnxruntime.
import { badRequest } from "./errors.js";
import { float16Value, type Tensor, type TensorData, type V2Datatype } from "./tensor.js";
import { jsonOutput, parseJson } from "./json.js";

export const HEADER_LENGTH_HEADER = "inference-header-content-length";
export const BINARY_CONTENT_TYPE = "application/octet-stream";

type NumericData = Exclude<TensorData, string[]>;

/** Storage of each fixed-size datatype (as the JSON path builds it); its BYTES_PER_ELEMENT is the element's wire size. */
const STORAGE: Record<Exclude<V2Datatype, "BYTES">, { readonly BYTES_PER_ELEMENT: number; new (buffer: ArrayBuffer): NumericData }> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  INT8: Int8Array,
  UINT16: Uint16Array,
  INT16: Int16Array,
  FP16: Uint16Array,
  UINT32: Uint32Array,
  INT32: Int32Array,
  FP32: Float32Array,
  UINT64: BigUint64Array,
  INT64: BigInt64Array,
  FP64: Float64Array,
};

/**
 * Splits a request body into its JSON header and the binary section after it. Without the
 * header-length header the whole body is JSON; an empty JSON part reads as no body at all.
 */
export function splitInferBody(body: Buffer, headerLength: string | undefined): { json: unknown; binary: Buffer } {
  let jsonEnd = body.length;
  if (headerLength !== undefined) {
    jsonEnd = /^\d+$/.test(headerLength.trim()) ? Number(headerLength) : NaN;
    if (!(jsonEnd <= body.length)) {
      throw badRequest(`Inference-Header-Content-Length must be an integer 0-${body.length} (the body's length), got "${headerLength}"`);
    }
  }
  const text = body.subarray(0, jsonEnd).toString("utf8");
  let json: unknown;
  try {
    json = text.trim() === "" ? undefined : parseJson(text);
  } catch (err) {
    throw badRequest(`request body is not valid JSON: ${(err as Error).message}`);
  }
  return { json, binary: body.subarray(jsonEnd) };
}

/** One input's binary bytes as the typed data its datatype needs; a 400 names what does not fit. */
export function decodeBinaryTensor(name: string, datatype: V2Datatype, bytes: Buffer): TensorData {
  if (datatype === "BYTES") return decodeBytesElements(name, bytes);
  const storage = STORAGE[datatype];
  const size = storage.BYTES_PER_ELEMENT;
  if (bytes.length % size !== 0) {
    throw badRequest(`input "${name}" has ${bytes.length} bytes of binary data, not a whole number of ${size}-byte ${datatype} elements`);
  }
  // A fresh, aligned copy: typed arrays cannot view a Buffer at an odd offset. Both x86-64
  // and arm64 are little-endian, the extension's byte order, so the bytes map one to one.
  const data = new storage(new Uint8Array(bytes).buffer);
  const bad = firstInvalid(datatype, data);
  if (bad !== undefined) throw badRequest(`input "${name}" binary element ${bad} is not a valid ${datatype} value (${datatype === "BOOL" ? "0 or 1" : "finite"})`);
  return data;
}

/** Index of the first element the JSON path would refuse too (non-finite floats, BOOL other than 0/1). */
function firstInvalid(datatype: V2Datatype, data: NumericData): number | undefined {
  if (datatype === "BOOL") {
    const i = (data as Uint8Array).findIndex((v) => v > 1);
    return i < 0 ? undefined : i;
  }
  if (datatype === "FP16") {
    const i = (data as Uint16Array).findIndex((bits) => !Number.isFinite(float16Value(bits)));
    return i < 0 ? undefined : i;
  }
  if (datatype === "FP32" || datatype === "FP64") {
    const i = (data as Float32Array).findIndex((v) => !Number.isFinite(v));
    return i < 0 ? undefined : i;
  }
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** BYTES elements: each a 4-byte little-endian length, then that many bytes of UTF-8 text. */
function decodeBytesElements(name: string, bytes: Buffer): string[] {
  const elements: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw badRequest(`input "${name}" BYTES element ${elements.length} is cut off inside its 4-byte length prefix`);
    const length = bytes.readUInt32LE(at);
    at += 4;
    if (at + length > bytes.length) throw badRequest(`input "${name}" BYTES element ${elements.length} claims ${length} bytes but only ${bytes.length - at} remain`);
    try {
      elements.push(utf8.decode(bytes.subarray(at, at + length)));
    } catch {
      // onnxruntime-node takes string tensors as JavaScript strings.
      throw badRequest(`input "${name}" BYTES element ${elements.length} is not UTF-8 text; this server's string tensors hold text`);
    }
    at += length;
  }
  return elements;
}

/** A tensor's raw bytes as the extension lays them out. */
export function encodeBinaryTensor(t: Tensor): Buffer {
  if (Array.isArray(t.data)) {
    const parts = t.data.flatMap((s) => {
      const text = Buffer.from(s, "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32LE(text.length);
      return [length, text];
    });
    return Buffer.concat(parts);
  }
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * The `outputs` part of a response: JSON for every output, and for those in `binary`
 * a `binary_data_size` parameter instead of data, their bytes following in order.
 */
export function encodeOutputs(tensors: readonly Tensor[], binary: ReadonlySet<string>): { json: string; binary: Buffer } {
  const blobs: Buffer[] = [];
  const outputs = tensors.map((t, i) => {
    if (!binary.has(t.name)) return jsonOutput(t);
    const bytes = encodeBinaryTensor(tensors[i]!);
    blobs.push(bytes);
    return JSON.stringify({ name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: bytes.length } });
  });
  return { json: `[${outputs.join(",")}]`, binary: Buffer.concat(blobs) };
}

/**
 * Outputs encoded once, for the result cache and for every response that shares them: the
 * outputs' JSON length (4 bytes, little-endian), their JSON, then the binary outputs' bytes.
 */
export function packOutputs(tensors: readonly Tensor[], binary: ReadonlySet<string>): Buffer {
  const encoded = encodeOutputs(tensors, binary);
  const json = Buffer.from(encoded.json, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  return Buffer.concat([length, json, encoded.binary]);
}

/**
 * A response body from packed outputs under `head` (model_name, model_version, id). With
 * binary outputs, the JSON header's length goes in Inference-Header-Content-Length.
 */
export function responseBody(head: Record<string, unknown>, packed: Buffer, binary: boolean): { body: Buffer; headerLength?: number } {
  const jsonEnd = 4 + packed.readUInt32LE(0);
  const outer = JSON.stringify(head);
  const header = Buffer.from(`${outer.slice(0, -1)},"outputs":${packed.toString("utf8", 4, jsonEnd)}}`, "utf8");
  if (!binary) return { body: header };
  return { body: Buffer.concat([header, packed.subarray(jsonEnd)]), headerLength: header.length };
}

/** The outputs of packed outputs (see packOutputs) whose data are all binary: their JSON descriptions and their bytes, in order. */
export function unpackOutputs(packed: Buffer): { outputs: { name: string; datatype: string; shape: number[] }[]; binary: Buffer[] } {
  const jsonEnd = 4 + packed.readUInt32LE(0);
  const outputs = JSON.parse(packed.toString("utf8", 4, jsonEnd)) as { name: string; datatype: string; shape: number[]; parameters: { binary_data_size: number } }[];
  let at = jsonEnd;
  const binary = outputs.map((o) => {
    const bytes = packed.subarray(at, at + o.parameters.binary_data_size);
    at += bytes.length;
    return bytes;
  });
  return { outputs, binary };
}
