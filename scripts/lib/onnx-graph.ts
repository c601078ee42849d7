// A small, typed front end over onnx-proto for writing ONNX models from TypeScript:
// tests, the training script and the benchmark model all describe graphs with it.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

/** Element types this builder writes; names follow ONNX's TensorProto.DataType. */
export type ElemType =
  | "float"
  | "double"
  | "int64"
  | "int32"
  | "int8"
  | "uint8"
  | "bool"
  | "string"
  | "float16"
  | "int16"
  | "uint16"
  | "uint32"
  | "uint64";

const ELEM: Record<ElemType, number> = {
  float: DT.FLOAT,
  double: DT.DOUBLE,
  int64: DT.INT64,
  int32: DT.INT32,
  int8: DT.INT8,
  uint8: DT.UINT8,
  bool: DT.BOOL,
  string: DT.STRING,
  float16: DT.FLOAT16,
  int16: DT.INT16,
  uint16: DT.UINT16,
  uint32: DT.UINT32,
  uint64: DT.UINT64,
};

/** A dimension is a fixed size or a symbolic name (dynamic, e.g. "batch"). */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  type: ElemType;
  shape: Dim[];
}

export type AttrValue = number | string | number[] | string[] | { float: number } | { floats: number[] };

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Operator domain; "" is the default ONNX domain, "com.microsoft" for contrib ops. */
  domain?: string;
  name?: string;
  attrs?: Record<string, AttrValue>;
}

export interface Initializer {
  name: string;
  type: ElemType;
  dims: number[];
  values: ArrayLike<number> | string[] | bigint[];
}

export interface GraphSpec {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: Node[];
  initializers?: Initializer[];
  /** Opset per domain; default { "": 17 }. */
  opsets?: Record<string, number>;
  /** Free-form metadata stored in the model (shown by model metadata tools). */
  metadata?: Record<string, string>;
  docString?: string;
}

function valueInfo(v: ValueInfo) {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM[v.type],
        shape: { dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttrValue) {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  if (typeof value === "number") {
    return Number.isInteger(value) ? { name, type: AT.INT, i: value } : { name, type: AT.FLOAT, f: value };
  }
  if (typeof value === "string") return { name, type: AT.STRING, s: utf8(value) };
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === "string") return { name, type: AT.STRINGS, strings: (value as string[]).map(utf8) };
    const nums = value as number[];
    return nums.every(Number.isInteger) ? { name, type: AT.INTS, ints: nums } : { name, type: AT.FLOATS, floats: nums };
  }
  if ("float" in value) return { name, type: AT.FLOAT, f: value.float };
  return { name, type: AT.FLOATS, floats: value.floats };
}

function tensor(t: Initializer) {
  const base = { name: t.name, dims: t.dims, dataType: ELEM[t.type] };
  const vals = Array.from(t.values as ArrayLike<unknown>);
  switch (t.type) {
    case "string":
      return { ...base, stringData: (vals as string[]).map((s) => new TextEncoder().encode(s)) };
    case "float": {
      // raw little-endian bytes keep large weight tensors compact and exact
      const f = Float32Array.from(vals as number[]);
      return { ...base, rawData: new Uint8Array(f.buffer) };
    }
    case "double":
      return { ...base, doubleData: vals as number[] };
    case "int64":
      return { ...base, int64Data: (vals as (number | bigint)[]).map((v) => Number(v)) };
    default:
      return { ...base, int32Data: (vals as (number | boolean)[]).map((v) => Number(v)) };
  }
}

/** Serialises a graph description to ONNX model bytes (deterministic for equal input). */
export function buildModel(spec: GraphSpec): Uint8Array {
  const opsets = spec.opsets ?? { "": 17 };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "inference-platform",
    producerVersion: "1",
    docString: spec.docString ?? "",
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.name,
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map(tensor),
      node: spec.nodes.map((n, i) => ({
        opType: n.op,
        domain: n.domain ?? "",
        name: n.name ?? `${n.op}_${i}`,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
