// Result-cache keys: a SHA-256 over a canonical encoding of what determines an
// inference result, so that the same request hashes the same however it was
// written (JSON whitespace, input order, nested vs flat vs typed-array data).
import { createHash } from "node:crypto";
import { flatten, isTypedArray } from "../protocol/json.js";

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
  /** Outputs returned as binary data (binary tensor extension); they change the cached body. Default none. */
  binaryOutputs?: ReadonlySet<string>;
  /** Outputs returned as their top k classes (classification extension), by name. Default none. */
  classification?: ReadonlyMap<string, number>;
  inputs: readonly CacheKeyInput[];
}

/** Bumped whenever the encoding below changes, so old Redis entries are never read as new ones. */
const KEY_FORMAT = "v2";

// Datatypes whose elements the model sees as 32-bit floats: two different
// float64 literals that round to the same float32 give the same result, and a
// Float32Array and its JSON rendering must hash alike.
const FLOAT32_TYPES = new Set(["FP32"]);

/** Hex SHA-256 identifying one inference result. */
export function cacheKey(parts: CacheKeyParts): string {
  const w = new HashWriter();
  w.string(KEY_FORMAT);
  w.string(parts.model);
  w.string(parts.version);
  w.count(parts.outputs.length);
  for (const output of parts.outputs) w.string(output);
  const binary = parts.outputs.filter((o) => parts.binaryOutputs?.has(o));
  w.count(binary.length);
  for (const output of binary) w.string(output);
  // Input order carries no meaning in the protocol (inputs are matched by name).
  const inputs = [...parts.inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  w.count(inputs.length);
  for (const input of inputs) {
    w.string(input.name);
    w.string(input.datatype);
    w.count(input.shape.length);
    for (const dim of input.shape) w.number(dim);
    // A typed array (what the server hands over after validation) is read in place, without copying.
    const elements: ArrayLike<unknown> = isTypedArray(input.data) ? input.data : flatten(input.data);
    w.count(elements.length);
    const toFloat32 = FLOAT32_TYPES.has(input.datatype);
    if (isNumeric(elements)) w.numbers(elements, toFloat32);
    else for (let i = 0; i < elements.length; i++) w.element(elements[i], toFloat32);
  }
  // Only written when asked for, so that every other key stays what it was (the encoding is length-prefixed, so appending cannot collide).
  const classified = parts.outputs.filter((o) => parts.classification?.has(o));
  if (classified.length > 0) {
    w.string("classification");
    w.count(classified.length);
    for (const output of classified) {
      w.string(output);
      w.count(parts.classification!.get(output)!);
    }
  }
  return w.digest();
}

/** Numbers, booleans and safe-range bigints: everything a numeric or BOOL tensor holds. */
function asNumber(element: unknown): number | undefined {
  switch (typeof element) {
    case "number":
      return element;
    case "boolean":
      // BOOL tensors accept true/false and 1/0 alike.
      return element ? 1 : 0;
    case "bigint":
      // INT64/UINT64 data may arrive as bigint (BigInt64Array) or number.
      return element >= MIN_SAFE && element <= MAX_SAFE ? Number(element) : undefined;
    default:
      return undefined;
  }
}

function isNumeric(elements: ArrayLike<unknown>): boolean {
  if (elements instanceof Float32Array || elements instanceof Float64Array || elements instanceof Int32Array) return true;
  for (let i = 0; i < elements.length; i++) if (asNumber(elements[i]) === undefined) return false;
  return true;
}

// Each field is tagged and length-prefixed so that no two different requests
// can produce the same byte stream (e.g. ["ab","c"] vs ["a","bc"]). Bytes are
// staged in one buffer and hashed in chunks: large tensors cost no allocation per element.
// cacheKey() is synchronous, so one staging buffer per process serves every call.
const STAGE = Buffer.allocUnsafe(16 * 1024);
const SCRATCH = new Float64Array(2048);

class HashWriter {
  private readonly hash = createHash("sha256");
  private readonly buf = STAGE;
  private readonly scratch = SCRATCH;
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
  }

  private flush(): void {
    this.hash.update(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  count(n: number): void {
    this.room(4);
    this.pos = this.buf.writeUInt32LE(n >>> 0, this.pos);
  }

  number(n: number): void {
    this.room(9);
    this.pos = this.buf.writeUInt8(0x6e, this.pos); // "n"
    // Normalise -0 so that "0" and "-0" in JSON (equal for any model input) agree.
    this.pos = this.buf.writeDoubleLE(n === 0 ? 0 : n, this.pos);
  }

  string(value: string): void {
    const length = Buffer.byteLength(value, "utf8");
    this.count(length);
    if (length > this.buf.length) {
      this.flush();
      this.hash.update(value, "utf8");
    } else {
      this.room(length);
      this.pos += this.buf.write(value, this.pos, "utf8");
    }
  }

  private tag(letter: string): void {
    this.room(1);
    this.pos = this.buf.writeUInt8(letter.charCodeAt(0), this.pos);
  }

  /** A tensor whose every element is numeric: tag "F", then the values as float64, hashed in chunks. */
  numbers(elements: ArrayLike<unknown>, toFloat32: boolean): void {
    this.tag("F");
    this.flush();
    const chunk = this.scratch;
    for (let start = 0; start < elements.length; start += chunk.length) {
      const end = Math.min(elements.length, start + chunk.length);
      for (let i = start; i < end; i++) {
        const n = asNumber(elements[i])!;
        const v = toFloat32 ? Math.fround(n) : n;
        // Normalise -0 so that "0" and "-0" in JSON (equal for any model input) agree.
        chunk[i - start] = v === 0 ? 0 : v;
      }
      // Platform byte order (little-endian on every target): keys are shared by replicas alike.
      this.hash.update(new Uint8Array(chunk.buffer, 0, (end - start) * 8));
    }
  }

  /** One element of a tensor that is not all-numeric (BYTES, or invalid data). */
  element(element: unknown, toFloat32: boolean): void {
    const n = asNumber(element);
    if (n !== undefined) {
      this.number(toFloat32 ? Math.fround(n) : n);
      return;
    }
    switch (typeof element) {
      case "bigint":
        this.tag("i");
        this.string(element.toString());
        return;
      case "string":
        this.tag("s");
        this.string(element);
        return;
      default:
        // Anything else (null, objects) is invalid tensor data that the server rejects;
        // it still gets a stable, distinct encoding rather than an exception.
        this.tag("j");
        this.string(safeJson(element));
    }
  }

  digest(): string {
    this.flush();
    return this.hash.digest("hex");
  }
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Cyclic or bigint-holding objects: still a stable string.
    return Object.prototype.toString.call(value);
  }
}
