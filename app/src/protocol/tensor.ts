// V2 tensors as this server holds them: datatypes, typed storage, declared specs, and
// half-precision conversion. The vocabulary every other protocol, core and cache module shares.
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

// IEEE 754 half precision by hand, as bits in a Uint16Array: the form onnxruntime-node reads
// (the session thread hides Float16Array, see core/ort-float16.ts).
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
