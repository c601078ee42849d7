// The gRPC door of the smoke test: ServerReady (inference.GRPCInferenceService) at the stack's
// grpcEndpoint, with the client the app's own .proto gives (app/src/grpc/proto.ts). TLS exactly
// when the REST endpoint is https: both listeners of the load balancer share its certificate
// (infra/serving/load-balancer.ts). A closed port, a refused handshake or `ready: false` fails.
import { credentials, Metadata, status, type CallOptions, type ServiceError } from "@grpc/grpc-js";
import { InferenceService } from "../../app/src/grpc/proto.js";
import type { SmokeCheck } from "./check.js";

export interface GrpcCheckOptions {
  /** TLS with the system's trusted roots instead of plaintext. */
  tls: boolean;
  /** Bearer token, sent as `authorization` metadata. */
  token?: string;
  /** Deadline of the call, ms. */
  timeoutMs: number;
  /** Trusted CAs instead of the system's roots (tests). */
  ca?: Buffer;
}

/** A unary method of the generated client, as grpc-js's loadPackageDefinition builds it. */
type Unary<Req, Res> = (request: Req, metadata: Metadata, options: CallOptions, callback: (err: ServiceError | null, response: Res) => void) => unknown;

/** A rejected call as one line: the gRPC status by name, and its details. */
export function grpcFailure(err: unknown): string {
  const e = err as Partial<ServiceError>;
  if (typeof e?.code !== "number") return err instanceof Error ? err.message : String(err);
  return `${status[e.code] ?? e.code}: ${e.details ?? e.message}`;
}

/** Calls ServerReady at `endpoint` (host:port) once. */
export async function checkGrpcReady(endpoint: string, opts: GrpcCheckOptions): Promise<SmokeCheck> {
  const name = "grpc ServerReady";
  const client = new InferenceService(endpoint, opts.tls ? credentials.createSsl(opts.ca ?? null) : credentials.createInsecure());
  const metadata = new Metadata();
  if (opts.token) metadata.set("authorization", `Bearer ${opts.token}`);
  try {
    const serverReady = (client as unknown as { ServerReady: Unary<object, { ready: boolean }> }).ServerReady.bind(client);
    const response = await new Promise<{ ready: boolean }>((resolve, reject) => {
      serverReady({}, metadata, { deadline: Date.now() + opts.timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
    return response.ready
      ? { name, passed: true, detail: `ready at ${endpoint}${opts.tls ? " (TLS)" : ""}` }
      : { name, passed: false, detail: `${endpoint} answered ready: false` };
  } catch (err) {
    return { name, passed: false, detail: `${endpoint}: ${grpcFailure(err)}` };
  } finally {
    client.close();
  }
}
