// A V2 gRPC client built in the tests from the same .proto the server serves, the way a user
// would generate one: @grpc/grpc-js + @grpc/proto-loader, nothing from app/src.
import { fileURLToPath } from "node:url";
import { credentials, loadPackageDefinition, Metadata, type CallOptions, type Client, type GrpcObject, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

const PROTO = fileURLToPath(new URL("../../../app/proto/inference.proto", import.meta.url));
const definition = loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const Service = (loadPackageDefinition(definition).inference as GrpcObject).GRPCInferenceService as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
  options?: Record<string, unknown>,
) => Client & Record<string, (request: unknown, metadata: Metadata, options: CallOptions, callback: (err: ServiceError | null, response: any) => void) => unknown>;

export interface CallSettings {
  /** Bearer token sent as `authorization` metadata. */
  token?: string;
  /** gRPC deadline in milliseconds from now. */
  timeoutMs?: number;
}

export interface V2Client {
  call(method: string, request?: unknown, settings?: CallSettings): Promise<any>;
  close(): void;
}

/** A client of inference.GRPCInferenceService at `address`; channel options as grpc-js takes them (e.g. compression). */
export function grpcClient(address: string, options: Record<string, unknown> = {}): V2Client {
  const client = new Service(address, credentials.createInsecure(), { "grpc.max_send_message_length": -1, "grpc.max_receive_message_length": -1, ...options });
  return {
    call(method, request = {}, settings = {}) {
      const metadata = new Metadata();
      if (settings.token !== undefined) metadata.set("authorization", `Bearer ${settings.token}`);
      const callOptions: CallOptions = settings.timeoutMs !== undefined ? { deadline: Date.now() + settings.timeoutMs } : {};
      return new Promise((resolve, reject) => {
        client[method]!(request, metadata, callOptions, (err, response) => (err ? reject(err) : resolve(response)));
      });
    },
    close: () => client.close(),
  };
}

/** The rejection of a call: its gRPC status code and details. */
export async function grpcError(pending: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await pending;
  } catch (err) {
    const e = err as ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error("the call succeeded; an error was expected");
}
