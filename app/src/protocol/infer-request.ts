// Open Inference Protocol (KServe V2) inference requests: the JSON structure, then each
// input against the model's declared inputs, from JSON data or the binary section. Pure:
// no HTTP, no onnxruntime; every problem becomes a 400 naming what is wrong.
import { z } from "zod";
import { decodeBinaryTensor } from "./binary.js";
import { badRequest } from "./errors.js";
import { convertElements, flatten } from "./json.js";
import type { Tensor, TensorData, TensorSpec } from "./tensor.js";

/** The longest deadline a request may ask for, in milliseconds (one hour). */
export const MAX_TIMEOUT_MS = 3_600_000;
const TIMEOUT_PARAMETER = `timeout is in microseconds: an integer 0-${MAX_TIMEOUT_MS * 1000} (0 = the server's default)`;
const BINARY_SIZE = "binary_data_size must be a whole number of bytes";
const CLASSIFICATION = "classification must be a whole number of classes (0 = off)";

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
  outputs: z
    .array(
      z.object({
        name: z.string(),
        parameters: z
          .looseObject({
            binary_data: z.boolean("binary_data must be true or false").optional(),
            // Triton's classification extension (its clients' class_count): the top k classes as BYTES; 0 = off.
            classification: z.number(CLASSIFICATION).int(CLASSIFICATION).min(0, CLASSIFICATION).optional(),
          })
          .optional(),
      }),
    )
    .optional(),
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

/** Outputs asked for as their top k classes (classification > 0), by name. */
export function classifications(request: InferRequest, outputs: readonly string[]): Map<string, number> {
  const asked = new Map((request.outputs ?? []).map((o) => [o.name, o.parameters?.classification ?? 0]));
  return new Map(outputs.filter((name) => (asked.get(name) ?? 0) > 0).map((name) => [name, asked.get(name)!]));
}

/** Outputs to return as binary: those asking with binary_data, else all when binary_data_output is set. */
export function binaryOutputs(request: InferRequest, outputs: readonly string[]): Set<string> {
  const asked = new Map((request.outputs ?? []).map((o) => [o.name, o.parameters?.binary_data]));
  const all = request.parameters?.binary_data_output ?? false;
  return new Set(outputs.filter((name) => asked.get(name) ?? all));
}
