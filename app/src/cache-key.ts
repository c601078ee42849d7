// Result-cache keys: a SHA-256 over a canonical encoding of what determines an
// inference result, so that the same request hashes the same however it was
// written (JSON whitespace, input order, nested vs flat vs typed-array data).
import { createHash, type Hash } from "node:crypto";

export interface CacheKeyInput {
  name: string;
  datatype: string;
  shape: readonly number[];
  data: unknown;
}

export interface CacheKeyParts {
  model: string;
  version: string;
  /** Requested output names; order is kept because it decides the response's order. */
  outputs: readonly string[];
  inputs: readonly CacheKeyInput[];
}

/** Bumped whenever the encoding below changes, so old Redis entries are never read as new ones. */
const KEY_FORMAT = "v1";

// Datatypes whose elements the model sees as 32-bit floats: two different
// float64 literals that round to the same float32 give the same result, and a
// Float32Array and its JSON rendering must hash alike.
const FLOAT32_TYPES = new Set(["FP32"]);

/** Hex SHA-256 identifying one inference result. */
export function cacheKey(parts: CacheKeyParts): string {
  const hash = createHash("sha256");
  writeString(hash, KEY_FORMAT);
  writeString(hash, parts.model);
  writeString(hash, parts.version);
  writeCount(hash, parts.outputs.length);
  for (const output of parts.outputs) writeString(hash, output);
  // Input order carries no meaning in the protocol (inputs are matched by name).
  const inputs = [...parts.inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  writeCount(hash, inputs.length);
  for (const input of inputs) {
    writeString(hash, input.name);
    writeString(hash, input.datatype);
    writeCount(hash, input.shape.length);
    for (const dim of input.shape) writeNumber(hash, dim);
    const elements = flatten(input.data);
    writeCount(hash, elements.length);
    const toFloat32 = FLOAT32_TYPES.has(input.datatype);
    for (const element of elements) writeElement(hash, element, toFloat32);
  }
  return hash.digest("hex");
}

/** Row-major elements of a scalar, (nested) array or typed array. */
export function flatten(data: unknown): unknown[] {
  const out: unknown[] = [];
  // Iterative so that a deeply nested client payload cannot overflow the stack.
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    } else if (ArrayBuffer.isView(item) && !(item instanceof DataView)) {
      for (const element of item as unknown as Iterable<unknown>) out.push(element);
    } else {
      out.push(item);
    }
  }
  return out;
}

// Each field is tagged and length-prefixed so that no two different requests
// can produce the same byte stream (e.g. ["ab","c"] vs ["a","bc"]).
function writeString(hash: Hash, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  writeCount(hash, bytes.length);
  hash.update(bytes);
}

function writeCount(hash: Hash, n: number): void {
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt32LE(n >>> 0);
  hash.update(buf);
}

function writeNumber(hash: Hash, n: number): void {
  const buf = Buffer.allocUnsafe(9);
  buf.writeUInt8(0x6e); // "n"
  // Normalise -0 so that "0" and "-0" in JSON (equal for any model input) agree.
  buf.writeDoubleLE(n === 0 ? 0 : n, 1);
  hash.update(buf);
}

function writeElement(hash: Hash, element: unknown, toFloat32: boolean): void {
  switch (typeof element) {
    case "number":
      writeNumber(hash, toFloat32 ? Math.fround(element) : element);
      return;
    case "bigint":
      // INT64/UINT64 data may arrive as bigint (BigInt64Array) or number: hash safe integers as numbers.
      if (element >= BigInt(Number.MIN_SAFE_INTEGER) && element <= BigInt(Number.MAX_SAFE_INTEGER)) {
        writeNumber(hash, Number(element));
      } else {
        hash.update("i");
        writeString(hash, element.toString());
      }
      return;
    case "boolean":
      // BOOL tensors accept true/false and 1/0 alike.
      writeNumber(hash, element ? 1 : 0);
      return;
    case "string":
      hash.update("s");
      writeString(hash, element);
      return;
    default:
      // Anything else (null, objects) is invalid tensor data that the server rejects;
      // it still gets a stable, distinct encoding rather than an exception.
      hash.update("j");
      writeString(hash, JSON.stringify(element) ?? "undefined");
  }
}
