// What the server says about itself and its models (V2 server and model metadata), the
// same through every front door.
import { readFileSync } from "node:fs";
import type { ModelRepository, ModelVersion } from "./model-repository.js";

export const SERVER_NAME = "inference-platform";
export const SERVER_VERSION: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
/** Protocol extensions this server implements, as GET /v2 advertises them. */
export const EXTENSIONS = ["binary_tensor_data", "classification", "model_configuration", "model_repository", "statistics"];
const PLATFORM = "onnxruntime_onnx";

export function serverMetadata() {
  return { name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS };
}

export function modelMetadata(repository: ModelRepository, v: ModelVersion & { session: NonNullable<ModelVersion["session"]> }) {
  return {
    name: v.name,
    versions: repository.entry(v.name).versions.map((x) => x.version),
    platform: PLATFORM,
    inputs: v.session.inputs,
    outputs: v.session.outputs,
  };
}
