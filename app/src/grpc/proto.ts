// The V2 gRPC service definition, loaded once from app/proto/inference.proto (two levels up
// from both src/grpc and dist/grpc, so the same path works from source and from the build).
import { fileURLToPath } from "node:url";
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from "@grpc/grpc-js";
import { loadSync, type Options } from "@grpc/proto-loader";

export const PROTO_FILE = fileURLToPath(new URL("../../proto/inference.proto", import.meta.url));

/**
 * Field names as the .proto spells them (the REST JSON's snake_case), 64-bit integers as
 * decimal strings so that none is rounded, every field present with its default, and the
 * name of the set InferParameter choice in `parameter_choice`.
 */
export const PROTO_OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

const root = loadPackageDefinition(loadSync(PROTO_FILE, PROTO_OPTIONS));

/** The GRPCInferenceService constructor (client) with its `.service` definition (server). */
export const InferenceService = (root.inference as GrpcObject).GRPCInferenceService as unknown as {
  new (...args: ConstructorParameters<typeof import("@grpc/grpc-js").Client>): import("@grpc/grpc-js").Client;
  service: ServiceDefinition;
};

/** An InferParameter as proto-loader hands it over: the set choice named in parameter_choice. */
export interface InferParameter {
  parameter_choice?: "bool_param" | "int64_param" | "string_param" | "double_param" | "uint64_param";
  bool_param?: boolean;
  int64_param?: string;
  string_param?: string;
  double_param?: number;
  uint64_param?: string;
}

export interface InferTensorContents {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: string[];
  uint_contents: number[];
  uint64_contents: string[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Buffer[];
}

export interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameter>;
  inputs: { name: string; datatype: string; shape: string[]; parameters: Record<string, InferParameter>; contents: InferTensorContents | null }[];
  outputs: { name: string; parameters: Record<string, InferParameter> }[];
  raw_input_contents: Buffer[];
}
