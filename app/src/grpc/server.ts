// The gRPC front door (inference.GRPCInferenceService, KServe's and Triton's V2 gRPC API) on
// its own port: the same core as REST (model repository, inference service, in-flight
// tracking), the same auth tokens, limits, deadlines and metrics. A sibling of http/.
import { Metadata, Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { enterUntilCancelled, refusalMessage } from "../core/admission.js";
import { isServing } from "../core/model-repository.js";
import { modelMetadata, serverMetadata } from "../core/metadata.js";
import type { Serving } from "../core/serving.js";
import { modelConfig, modelStatistics, repositoryIndex } from "../core/extensions.js";
import { bearerCheck } from "../core/tokens.js";
import { HttpError } from "../protocol/errors.js";
import { requestDeadline } from "../protocol/deadline.js";
import { InferenceService, type ModelInferRequest } from "./proto.js";
import { grpcCode } from "./status.js";
import { toInferCall, toInferResponse } from "./tensors.js";

export interface GrpcServerSettings {
  host: string;
  /** 0 = any free port. */
  grpcPort: number;
  /** Largest request message accepted (gRPC's own default is 4 MiB). */
  bodyLimitBytes: number;
  /** Deadline of a request that sets none (neither a gRPC deadline nor the timeout parameter). */
  requestTimeoutMs: number;
  /** Bearer tokens; empty = no authentication. */
  authTokens: readonly string[];
}

export interface GrpcFrontDoor {
  /** host:port to dial, with 127.0.0.1 when bound to all interfaces. */
  readonly address: string;
  readonly port: number;
  /** Drain window: asks every open connection to go away once its calls finish (HTTP/2 GOAWAY); new connections are still served. */
  closeConnections(): void;
  /** Stops listening, lets the calls in progress finish, then closes every connection. */
  close(): Promise<void>;
}

const ERROR_LOG = "grpc call failed";

export async function listenGrpc(serving: Serving, settings: GrpcServerSettings): Promise<GrpcFrontDoor> {
  const { logger, metrics, repository, inference, inFlight } = serving;
  const check = settings.authTokens.length > 0 ? bearerCheck(settings.authTokens) : undefined;

  /** Throws UNAUTHENTICATED unless the call's `authorization` metadata carries a token (when tokens are configured). */
  const authorize = (metadata: Metadata) => {
    const given = metadata.get("authorization")[0];
    const problem = check?.(typeof given === "string" ? given : undefined);
    if (problem !== undefined) throw new HttpError(401, problem);
  };

  const fail = (err: unknown) => {
    if (err instanceof HttpError) {
      // Response headers (Retry-After when shedding) travel as trailing metadata.
      const metadata = new Metadata();
      for (const [name, value] of Object.entries(err.headers)) metadata.set(name.toLowerCase(), value);
      return { code: grpcCode(err.status), details: err.message, metadata };
    }
    logger.error({ err }, ERROR_LOG);
    return { code: status.INTERNAL, details: `inference failed: ${(err as Error)?.message ?? String(err)}` };
  };

  /** A unary handler: auth unless `open`, then `handle`; every thrown HttpError becomes its gRPC status. */
  const unary =
    <Req, Res>(open: boolean, handle: (request: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      Promise.resolve()
        .then(() => {
          if (!open) authorize(call.metadata);
          return handle(call.request, call);
        })
        .then(
          (response) => callback(null, response),
          (err: unknown) => callback(fail(err)),
        );
    };

  const version = (v: string) => (v === "" ? undefined : v);

  /**
   * Waits for a slot of the model's admission control, as the REST door does before reading a
   * body (core/admission.ts); resolves to the slot's release, or rejects with the 503 that
   * becomes UNAVAILABLE with retry-after metadata. A call cancelled while waiting leaves the line.
   */
  const admit = (modelName: string, call: ServerUnaryCall<ModelInferRequest, unknown>): Promise<(() => void) | undefined> => {
    const controller = serving.admission.for(modelName);
    if (!controller) return Promise.resolve(undefined);
    const cancelled = { on: (f: () => void) => call.once("cancelled", f), off: (f: () => void) => call.off("cancelled", f) };
    return new Promise((resolve, reject) =>
      enterUntilCancelled(controller, cancelled, (decision) => {
        if (decision.admitted) return resolve(decision.release);
        reject(new HttpError(503, refusalMessage(modelName, decision), { "Retry-After": String(decision.retryAfterSeconds) }));
      }),
    );
  };

  const modelInfer = async (message: ModelInferRequest, call: ServerUnaryCall<ModelInferRequest, unknown>) => {
    const arrived = Date.now();
    inFlight.begin();
    metrics.inFlight.inc();
    const end = metrics.requestDuration.startTimer();
    // Unknown names are folded into one label value so clients cannot grow the series count.
    const model = repository.models.some((m) => m.name === message.model_name) ? message.model_name : "unknown";
    let httpStatus = 200;
    let release: (() => void) | undefined;
    try {
      if (inFlight.refusing) {
        metrics.rejected.inc({ model, reason: "draining" });
        metrics.drainConnections.inc({ protocol: "grpc", action: "refused" });
        throw new HttpError(503, "server is shutting down");
      }
      authorize(call.metadata);
      if (message.model_name === "") throw new HttpError(400, "model_name is required");
      const target = inference.resolve(message.model_name, version(message.model_version));
      release = await admit(target.name, call);
      const { request, binary } = toInferCall(message);
      const given = call.getDeadline();
      const grpcDeadline = given instanceof Date ? given.getTime() : given;
      const deadline = Math.min(requestDeadline(arrived, request.parameters?.timeout, undefined, settings.requestTimeoutMs), grpcDeadline);
      const result = await inference.infer({ target, request, binary, deadline });
      return toInferResponse({ model: result.model, version: result.version, id: message.id }, result.packed);
    } catch (err) {
      httpStatus = err instanceof HttpError ? err.status : 500;
      throw err;
    } finally {
      release?.();
      metrics.inFlight.dec();
      end({ model, status: String(httpStatus), protocol: "grpc" });
      inFlight.end();
    }
  };

  const handlers: UntypedServiceImplementation = {
    ServerLive: unary(true, () => ({ live: true })),
    ServerReady: unary(true, () => ({ ready: serving.ready })),
    ModelReady: unary(false, (r: { name: string; version: string }) => {
      const v = repository.version(r.name, version(r.version));
      return { ready: isServing(v) && !inFlight.draining };
    }),
    ServerMetadata: unary(false, () => serverMetadata()),
    ModelMetadata: unary(false, (r: { name: string; version: string }) => modelMetadata(repository, repository.serving(r.name, version(r.version)))),
    ModelInfer: unary(false, modelInfer),
    ModelConfig: unary(false, (r: { name: string; version: string }) => ({ config: modelConfig(repository.version(r.name, version(r.version)), serving.cacheEnabled) })),
    ModelStatistics: unary(false, (r: { name: string; version: string }) => ({ model_stats: modelStatistics(repository, r.name || undefined, version(r.version)) })),
    RepositoryIndex: unary(false, (r: { ready: boolean }) => ({ models: repositoryIndex(repository, r.ready) })),
  };

  const server = new Server({
    "grpc.max_receive_message_length": settings.bodyLimitBytes,
    "grpc.max_send_message_length": -1,
  });
  server.addService(InferenceService.service, handlers);
  const bindHost = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${bindHost}:${settings.grpcPort}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const host = settings.host === "0.0.0.0" || settings.host === "::" ? "127.0.0.1" : bindHost;
  return {
    address: `${host}:${port}`,
    port,
    closeConnections() {
      // Graceful GOAWAY: calls in progress finish; the client opens a new connection for the next call.
      server.drain(`${bindHost}:${port}`, 2 ** 31 - 1);
      metrics.drainConnections.inc({ protocol: "grpc", action: "closed" });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
