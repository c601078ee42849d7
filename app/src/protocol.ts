// Open Inference Protocol (KServe V2) JSON <-> typed tensors. Pure: no HTTP, no
// onnxruntime. Everything a client sends is checked here against the model's
// declared inputs, and every problem becomes a 400 naming what is wrong.
import { z } from "zod";
import { decodeBinaryTensor } from "./binary-protocol.js";
import { flatten } from "./cache-key.js";
import { badRequest } from "./http-error.js";

/** V2 tensor datatypes this server handles, keyed by onnxruntime's type name. */
export const V2_DATATYPE_OF_ORT = {
  bool: "BOOL",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  float16: "FP16",
  float32: "FP32",
  float64: "FP64",
  string: "BYTES",
} as const;

export type OrtType = keyof typeof V2_DATATYPE_OF_ORT;
export type V2Datatype = (typeof V2_DATATYPE_OF_ORT)[OrtType];

export const ORT_TYPE_OF_V2 = Object.fromEntries(
  Object.entries(V2_DATATYPE_OF_ORT).map(([ort, v2]) => [v2, ort]),
) as Record<V2Datatype, OrtType>;

/** Element storage per datatype; BOOL is bytes 0/1 and FP16 is IEEE half bits, as onnxruntime-node takes them. */
export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | string[];

/** A model input or output as declared: -1 marks a dynamic dimension. */
export interface TensorSpec {
  name: string;
  datatype: V2Datatype;
  shape: number[];
}

export interface Tensor {
  name: string;
  datatype: V2Datatype;
  shape: number[];
  data: TensorData;
}

/** The longest deadline a request may ask for, in milliseconds (one hour). */
export const MAX_TIMEOUT_MS = 3_600_000;
const TIMEOUT_PARAMETER = `timeout is in microseconds: an integer 0-${MAX_TIMEOUT_MS * 1000} (0 = the server's default)`;
const BINARY_SIZE = "binary_data_size must be a whole number of bytes";

/** Request-level parameters that mean something here; other keys are accepted and ignored. */
const requestParameters = z.looseObject({
  // Triton's schedule-policy extension names it and counts microseconds; clients written for Triton keep working.
  timeout: z.number(TIMEOUT_PARAMETER).int(TIMEOUT_PARAMETER).min(0, TIMEOUT_PARAMETER).max(MAX_TIMEOUT_MS * 1000, TIMEOUT_PARAMETER).optional(),
  cache: z.boolean("cache must be true or false (false skips the result cache)").optional(),
  // Binary tensor data extension: every output as binary unless the output itself says otherwise.
  binary_data_output: z.boolean("binary_data_output must be true or false").optional(),
});

const inferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: requestParameters.optional(),
  inputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.number()),
        datatype: z.string(),
        // binary_data_size: this input's data is that many bytes of the binary section instead of "data".
        parameters: z.looseObject({ binary_data_size: z.number(BINARY_SIZE).int(BINARY_SIZE).min(0, BINARY_SIZE).optional() }).optional(),
        data: z.unknown().optional(),
      }),
    )
    .min(1),
  // Other per-output parameters (classification) are accepted and ignored.
  outputs: z.array(z.object({ name: z.string(), parameters: z.looseObject({ binary_data: z.boolean("binary_data must be true or false").optional() }).optional() })).optional(),
});

export type InferRequest = z.infer<typeof inferRequestSchema>;

/** Validates the JSON structure of an inference request (not yet against a model). */
export function parseInferRequest(body: unknown): InferRequest {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("request body must be a JSON object with an \"inputs\" array");
  }
  const result = inferRequestSchema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.map(String).join(".") : "request";
    throw badRequest(`invalid inference request: ${where}: ${issue.message}`);
  }
  return result.data;
}

const fmtShape = (shape: readonly number[]) => `[${shape.join(",")}]`;

/** Number of elements of a shape; each dim must be a positive integer. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * Checks the request's inputs against the model's declared inputs and converts their
 * data to typed arrays, from JSON or, for inputs with `binary_data_size`, from the next
 * bytes of `binary` in request order. Errors name the input and what the model expects.
 */
export function toTensors(inputs: InferRequest["inputs"], specs: readonly TensorSpec[], maxElements: number, binary: Buffer = Buffer.alloc(0)): Tensor[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const tensors: Tensor[] = [];
  let offset = 0;
  for (const input of inputs) {
    const spec = byName.get(input.name);
    if (!spec) throw badRequest(`unknown input "${input.name}"; the model's inputs are ${specs.map((s) => `"${s.name}"`).join(", ")}`);
    if (seen.has(input.name)) throw badRequest(`input "${input.name}" is given more than once`);
    seen.add(input.name);
    if (input.datatype !== spec.datatype) {
      throw badRequest(`input "${input.name}" has datatype ${JSON.stringify(input.datatype)} but the model expects ${spec.datatype}`);
    }
    const { shape } = input;
    // Zero-size dims are refused too: an empty tensor has nothing to infer, and ORT kernels reject it with a 500-worthy error.
    const badDim = shape.find((d) => !Number.isSafeInteger(d) || d < 1);
    if (badDim !== undefined) {
      throw badRequest(`input "${input.name}" shape ${fmtShape(shape)} has an invalid dimension ${badDim}; dimensions are positive integers`);
    }
    const fits = shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === shape[i]);
    if (!fits) throw badRequest(`input "${input.name}" has shape ${fmtShape(shape)} but the model expects ${fmtShape(spec.shape)} (-1 = any size)`);
    const count = elementCount(shape);
    if (count > maxElements) {
      throw badRequest(`input "${input.name}" shape ${fmtShape(shape)} has ${count} elements, more than the limit of ${maxElements}`);
    }
    const size = input.parameters?.binary_data_size;
    let data: TensorData;
    if (size === undefined) {
      if (input.data === undefined) throw badRequest(`input "${input.name}" has no "data" (nor binary_data_size for binary data)`);
      const elements = flatten(input.data);
      if (elements.length !== count) {
        throw badRequest(`input "${input.name}" has ${elements.length} data elements but shape ${fmtShape(shape)} needs ${count}`);
      }
      data = convertElements(input.name, spec.datatype, elements);
    } else {
      if (input.data !== undefined) throw badRequest(`input "${input.name}" has both "data" and binary_data_size; send its data one way`);
      if (offset + size > binary.length) {
        throw badRequest(`input "${input.name}" claims ${size} bytes of binary data but ${binary.length - offset} remain after the JSON header`);
      }
      data = decodeBinaryTensor(input.name, spec.datatype, binary.subarray(offset, offset + size));
      offset += size;
      if (data.length !== count) {
        throw badRequest(`input "${input.name}" has ${data.length} binary elements but shape ${fmtShape(shape)} needs ${count}`);
      }
    }
    tensors.push({ name: input.name, datatype: spec.datatype, shape: [...shape], data });
  }
  if (offset !== binary.length) {
    throw badRequest(`${binary.length - offset} bytes after the JSON header belong to no input; give each binary input its binary_data_size`);
  }
  const missing = specs.filter((s) => !seen.has(s.name));
  if (missing.length > 0) throw badRequest(`missing input ${missing.map((s) => `"${s.name}"`).join(", ")}; the model needs every declared input`);
  // Feed order follows the model's declaration so that equal requests look alike downstream.
  return specs.map((s) => tensors.find((t) => t.name === s.name)!);
}

/** Output names to return: the requested ones in request order, or every model output. */
export function selectOutputs(requested: InferRequest["outputs"], specs: readonly TensorSpec[]): string[] {
  if (!requested || requested.length === 0) return specs.map((s) => s.name);
  const names = new Set(specs.map((s) => s.name));
  const seen = new Set<string>();
  for (const { name } of requested) {
    if (!names.has(name)) throw badRequest(`unknown output "${name}"; the model's outputs are ${specs.map((s) => `"${s.name}"`).join(", ")}`);
    if (seen.has(name)) throw badRequest(`output "${name}" is requested more than once`);
    seen.add(name);
  }
  return requested.map((o) => o.name);
}

/** Outputs to return as binary: those asking with binary_data, else all when binary_data_output is set. */
export function binaryOutputs(request: InferRequest, outputs: readonly string[]): Set<string> {
  const asked = new Map((request.outputs ?? []).map((o) => [o.name, o.parameters?.binary_data]));
  const all = request.parameters?.binary_data_output ?? false;
  return new Set(outputs.filter((name) => asked.get(name) ?? all));
}

const INT_RANGES: Partial<Record<V2Datatype, [number, number]>> = {
  UINT8: [0, 2 ** 8 - 1],
  UINT16: [0, 2 ** 16 - 1],
  UINT32: [0, 2 ** 32 - 1],
  INT8: [-(2 ** 7), 2 ** 7 - 1],
  INT16: [-(2 ** 15), 2 ** 15 - 1],
  INT32: [-(2 ** 31), 2 ** 31 - 1],
  // 64-bit values travel as JSON numbers, so only the doubles' exact integer range is accepted.
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

const FP16_MAX = 65504;

/** JSON elements of one input as the typed data its datatype needs; a 400 names the first bad element. */
export function convertElements(name: string, datatype: V2Datatype, elements: unknown[]): TensorData {
  const fail = (i: number, what: string): never => {
    throw badRequest(`input "${name}" element ${i} must be ${what} for ${datatype}, got ${JSON.stringify(elements[i]) ?? String(elements[i])}`);
  };
  switch (datatype) {
    case "BYTES":
      return elements.map((e, i) => (typeof e === "string" ? e : fail(i, "a string")));
    case "BOOL":
      return Uint8Array.from(elements, (e, i) => (e === true || e === 1 ? 1 : e === false || e === 0 ? 0 : fail(i, "true, false, 1 or 0")));
    case "FP32":
    case "FP64":
    case "FP16": {
      const nums = elements.map((e, i) => (typeof e === "number" && Number.isFinite(e) ? e : fail(i, "a finite number")));
      if (datatype === "FP32") return Float32Array.from(nums);
      if (datatype === "FP64") return Float64Array.from(nums);
      return Uint16Array.from(nums, (v, i) => (Math.abs(v) <= FP16_MAX ? float16Bits(v) : fail(i, `a number within ±${FP16_MAX}`)));
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
        case "INT32":
          return Int32Array.from(ints);
        case "UINT64":
          return BigUint64Array.from(ints, BigInt);
        default:
          return BigInt64Array.from(ints, BigInt);
      }
    }
  }
}

/** V2 JSON of output tensors: flattened row-major data in JSON types. */
export function toJsonOutputs(tensors: readonly Tensor[]) {
  return tensors.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: jsonData(t) }));
}

function jsonData(t: Tensor): unknown[] {
  const { data } = t;
  if (Array.isArray(data)) return data;
  if (t.datatype === "BOOL") return Array.from(data as Uint8Array, (v) => v !== 0);
  if (t.datatype === "FP16") return Array.from(data as Uint16Array, float16Value);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  return Array.from(data as Float64Array);
}

// IEEE 754 half precision by hand: Node 20 has neither Float16Array nor Math.f16round.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Nearest half-precision bit pattern of a number (round to nearest even). */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** The number a half-precision bit pattern stands for. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
