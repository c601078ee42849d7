// JSON side of the V2 protocol: client JSON elements to typed tensor data (every element
// checked against its datatype) and tensors back to JSON.
import { badRequest } from "./errors.js";
import { float16Bits, float16Value, type Tensor, type TensorData, type V2Datatype } from "./tensor.js";

export function isTypedArray(data: unknown): data is ArrayLike<unknown> {
  return ArrayBuffer.isView(data) && !(data instanceof DataView);
}

/** Row-major elements of a scalar, (nested) array or typed array. */
export function flatten(data: unknown): unknown[] {
  const out: unknown[] = [];
  // Iterative, with the enclosing arrays on an explicit stack, so that a deeply
  // nested client payload cannot overflow the call stack.
  const parents: unknown[][] = [];
  const resume: number[] = [];
  let current: unknown[] = [data];
  let pos = 0;
  for (;;) {
    if (pos >= current.length) {
      const parent = parents.pop();
      if (parent === undefined) return out;
      current = parent;
      pos = resume.pop()!;
      continue;
    }
    const item = current[pos++];
    if (Array.isArray(item)) {
      parents.push(current);
      resume.push(pos);
      current = item;
      pos = 0;
    } else if (isTypedArray(item)) {
      for (let i = 0; i < item.length; i++) out.push(item[i]);
    } else {
      out.push(item);
    }
  }
}

const INT_RANGES: Partial<Record<V2Datatype, [number, number]>> = {
  UINT8: [0, 2 ** 8 - 1],
  UINT16: [0, 2 ** 16 - 1],
  UINT32: [0, 2 ** 32 - 1],
  INT8: [-(2 ** 7), 2 ** 7 - 1],
  INT16: [-(2 ** 15), 2 ** 15 - 1],
  INT32: [-(2 ** 31), 2 ** 31 - 1],
};

/** 64-bit ranges, exact: parseJson hands over integer literals beyond ±2^53 as bigint. */
const BIG_RANGES: Partial<Record<V2Datatype, [bigint, bigint]>> = {
  UINT64: [0n, 2n ** 64n - 1n],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
};

// An integer literal of 16 or more digits may not fit a double; texts without one take JSON.parse's fast path.
const LONG_DIGITS = /\d{16}/;
const INTEGER_LITERAL = /^-?\d+$/;

/**
 * JSON.parse that keeps integer literals beyond ±2^53 exact, as bigint (JSON numbers carry any
 * integer; Triton's and KServe's clients write 64-bit values exactly). Uses the reviver's source
 * text (JSON.parse source text access, V8 11.4 / Node 21+) only when the text has such a literal.
 */
export function parseJson(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    const source = context?.source;
    return typeof value === "number" && !Number.isSafeInteger(value) && source !== undefined && INTEGER_LITERAL.test(source) ? BigInt(source) : value;
  } as (this: unknown, key: string, value: unknown) => unknown);
}

const FP16_MAX = 65504;

/** JSON elements of one input as the typed data its datatype needs; a 400 names the first bad element. */
export function convertElements(name: string, datatype: V2Datatype, elements: unknown[]): TensorData {
  const fail = (i: number, what: string): never => {
    const e = elements[i];
    throw badRequest(`input "${name}" element ${i} must be ${what} for ${datatype}, got ${typeof e === "bigint" ? String(e) : (JSON.stringify(e) ?? String(e))}`);
  };
  switch (datatype) {
    case "BYTES":
      return elements.map((e, i) => (typeof e === "string" ? e : fail(i, "a string")));
    case "BOOL":
      return Uint8Array.from(elements, (e, i) => (e === true || e === 1 ? 1 : e === false || e === 0 ? 0 : fail(i, "true, false, 1 or 0")));
    case "FP32":
    case "FP64":
    case "FP16": {
      const nums = elements.map((e, i) => (typeof e === "number" && Number.isFinite(e) ? e : typeof e === "bigint" ? Number(e) : fail(i, "a finite number")));
      if (datatype === "FP32") return Float32Array.from(nums);
      if (datatype === "FP64") return Float64Array.from(nums);
      return Uint16Array.from(nums, (v, i) => (Math.abs(v) <= FP16_MAX ? float16Bits(v) : fail(i, `a number within ±${FP16_MAX}`)));
    }
    case "INT64":
    case "UINT64": {
      const [min, max] = BIG_RANGES[datatype]!;
      const ints = elements.map((e, i) => {
        const v = typeof e === "bigint" ? e : typeof e === "number" && Number.isSafeInteger(e) ? BigInt(e) : undefined;
        return v !== undefined && v >= min && v <= max ? v : fail(i, `an integer ${min}..${max}`);
      });
      return datatype === "INT64" ? BigInt64Array.from(ints) : BigUint64Array.from(ints);
    }
    default: {
      const [min, max] = INT_RANGES[datatype]!;
      const ints = elements.map((e, i) =>
        typeof e === "number" && Number.isInteger(e) && e >= min && e <= max ? e : fail(i, `an integer ${min}..${max}`),
      );
      switch (datatype) {
        case "UINT8":
          return Uint8Array.from(ints);
        case "UINT16":
          return Uint16Array.from(ints);
        case "UINT32":
          return Uint32Array.from(ints);
        case "INT8":
          return Int8Array.from(ints);
        case "INT16":
          return Int16Array.from(ints);
        default:
          return Int32Array.from(ints);
      }
    }
  }
}

/**
 * The V2 JSON text of one output tensor: flattened row-major data in JSON types. 64-bit
 * integers are written digit for digit (JSON.stringify cannot write a bigint, and a double
 * would round beyond 2^53); every other datatype takes JSON.stringify's fast path.
 */
export function jsonOutput(t: Tensor): string {
  const { data } = t;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return `{"name":${JSON.stringify(t.name)},"datatype":"${t.datatype}","shape":${JSON.stringify(t.shape)},"data":[${data.join(",")}]}`;
  }
  return JSON.stringify({ name: t.name, datatype: t.datatype, shape: t.shape, data: jsonData(t) });
}

function jsonData(t: Tensor): unknown[] {
  const { data } = t;
  if (Array.isArray(data)) return data;
  if (t.datatype === "BOOL") return Array.from(data as Uint8Array, (v) => v !== 0);
  if (t.datatype === "FP16") return Array.from(data as Uint16Array, float16Value);
  return Array.from(data as Float64Array);
}
