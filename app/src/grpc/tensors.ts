// ModelInferRequest/Response (gRPC) <-> the core's inference call. Every input becomes bytes
// of the binary tensor data extension, raw_input_contents as they came and typed contents
// encoded here, so the checks and the decoding are the REST path's own (protocol/); every
// output comes back binary and is cut into raw_output_contents.
import { unpackOutputs } from "../protocol/binary.js";
import { badRequest } from "../protocol/errors.js";
import { parseInferRequest, type InferRequest } from "../protocol/infer-request.js";
import type { InferParameter, InferTensorContents, ModelInferRequest } from "./proto.js";

/** A parameter's value as the REST JSON would carry it; 64-bit integers as numbers (they are deadlines and counts). */
export function parameterValue(p: InferParameter): unknown {
  switch (p.parameter_choice) {
    case "int64_param":
      return Number(p.int64_param);
    case "uint64_param":
      return Number(p.uint64_param);
    case undefined:
      return undefined;
    default:
      return p[p.parameter_choice];
  }
}

function parameters(map: Record<string, InferParameter> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, parameterValue(v)]));
}

type ContentField = keyof InferTensorContents;

/** Where each datatype's typed contents travel (grpc_predict_v2.proto); FP16 has no typed form. */
const FIELD_OF: Record<string, ContentField> = {
  BOOL: "bool_contents",
  INT8: "int_contents",
  INT16: "int_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
  UINT8: "uint_contents",
  UINT16: "uint_contents",
  UINT32: "uint_contents",
  UINT64: "uint64_contents",
  FP32: "fp32_contents",
  FP64: "fp64_contents",
  BYTES: "bytes_contents",
};

const INT_STORAGE = { INT8: Int8Array, INT16: Int16Array, INT32: Int32Array, UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array } as const;

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** One input's typed contents as the little-endian bytes raw_input_contents would hold. */
export function typedContentsBytes(name: string, datatype: string, contents: InferTensorContents): Buffer {
  const field = FIELD_OF[datatype];
  if (datatype === "FP16") throw badRequest(`input "${name}" is FP16, which has no typed contents; send it in raw_input_contents`);
  if (!field) throw badRequest(`input "${name}" has datatype ${JSON.stringify(datatype)}; allowed: ${[...Object.keys(FIELD_OF), "FP16"].join(", ")}`);
  const stray = (Object.keys(contents) as ContentField[]).find((f) => f !== field && contents[f].length > 0);
  if (stray) throw badRequest(`input "${name}" is ${datatype}, whose typed contents go in ${field}, but ${stray} was given`);
  switch (datatype) {
    case "BOOL":
      return Buffer.from(contents.bool_contents.map((b) => (b ? 1 : 0)));
    case "INT64":
      return bytesOf(BigInt64Array.from(contents.int64_contents, BigInt));
    case "UINT64":
      return bytesOf(BigUint64Array.from(contents.uint64_contents, BigInt));
    case "FP32":
      return bytesOf(Float32Array.from(contents.fp32_contents));
    case "FP64":
      return bytesOf(Float64Array.from(contents.fp64_contents));
    case "BYTES":
      return Buffer.concat(
        contents.bytes_contents.flatMap((b) => {
          const length = Buffer.alloc(4);
          length.writeUInt32LE(b.length);
          return [length, b];
        }),
      );
    default: {
      // 8- and 16-bit integers travel widened to 32 bits: a value that does not fit is refused, not wrapped.
      const values = contents[field] as number[];
      const narrow = INT_STORAGE[datatype as keyof typeof INT_STORAGE].from(values);
      const bad = values.findIndex((v, i) => narrow[i] !== v);
      if (bad >= 0) throw badRequest(`input "${name}" element ${bad} is ${values[bad]}, outside the range of ${datatype}`);
      return bytesOf(narrow);
    }
  }
}

/** The core's view of a ModelInferRequest: the V2 request (every output binary) and its binary section. */
export function toInferCall(message: ModelInferRequest): { request: InferRequest; binary: Buffer } {
  const raw = message.raw_input_contents;
  if (raw.length > 0 && raw.length !== message.inputs.length) {
    throw badRequest(`raw_input_contents has ${raw.length} entries but there are ${message.inputs.length} inputs; send one per input, in input order`);
  }
  const blobs: Buffer[] = [];
  const inputs = message.inputs.map((input, i) => {
    const typed = input.contents !== null && Object.values(input.contents).some((v) => (v as unknown[]).length > 0);
    if (raw.length > 0 && typed) throw badRequest(`input "${input.name}" has typed contents although raw_input_contents is used; send each input one way`);
    const bytes = raw.length > 0 ? raw[i]! : typedContentsBytes(input.name, input.datatype, input.contents ?? emptyContents());
    blobs.push(bytes);
    const shape = input.shape.map(Number);
    return { name: input.name, datatype: input.datatype, shape, parameters: { ...parameters(input.parameters), binary_data_size: bytes.length } };
  });
  const request = parseInferRequest({
    ...(message.id !== "" ? { id: message.id } : {}),
    parameters: { ...parameters(message.parameters), binary_data_output: true },
    inputs,
    outputs: message.outputs.map((o) => ({ name: o.name, parameters: { ...parameters(o.parameters), binary_data: true } })),
  });
  return { request, binary: Buffer.concat(blobs) };
}

function emptyContents(): InferTensorContents {
  return { bool_contents: [], int_contents: [], int64_contents: [], uint_contents: [], uint64_contents: [], fp32_contents: [], fp64_contents: [], bytes_contents: [] };
}

/** A ModelInferResponse from the core's packed outputs (all binary): one raw_output_contents entry per output, in order. */
export function toInferResponse(head: { model: string; version: string; id: string }, packed: Buffer) {
  const { outputs, binary } = unpackOutputs(packed);
  return {
    model_name: head.model,
    model_version: head.version,
    id: head.id,
    outputs: outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
    raw_output_contents: binary,
  };
}
