// Closed-loop gRPC load, the twin of load.ts: `connections` clients, each on its own channel
// (its own HTTP/2 connection), send the next ModelInfer of a shared rotation as soon as their
// previous answer arrives, for `seconds`. The client is built from the served .proto.
import { credentials, loadPackageDefinition, type Client, type GrpcObject, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { PROTO_FILE, PROTO_OPTIONS } from "../../app/src/grpc/proto.js";
import type { LoadResult } from "./load.js";

type Unary = (request: unknown, callback: (err: ServiceError | null) => void) => void;
const Service = (loadPackageDefinition(loadSync(PROTO_FILE, PROTO_OPTIONS)).inference as GrpcObject).GRPCInferenceService as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => Client & { ModelInfer: Unary };

export async function grpcLoad(address: string, messages: readonly unknown[], connections: number, seconds: number): Promise<LoadResult> {
  const clients = Array.from({ length: connections }, () => new Service(address, credentials.createInsecure()));
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const call = (client: InstanceType<typeof Service>) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      client.ModelInfer(messages[next++ % messages.length], (err) => {
        if (err) failures++;
        else latencies.push(performance.now() - started);
        resolve();
      });
    });
  // Warm every channel (connect) before the clock starts.
  await Promise.all(clients.map(call));
  latencies.length = 0;
  failures = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < end) await call(client);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  for (const c of clients) c.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { connections, requestsPerSecond: latencies.length / elapsed, p50Ms: at(0.5), p99Ms: at(0.99), failures, total: latencies.length + failures };
}
