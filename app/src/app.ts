// Composition root: builds the core once (logger, metrics, model repository, result cache,
// the inference service) and hands it to the front doors. startApp() is the programmatic
// entry used by main.ts, tests and benchmarks; every instance has its own registry, cache and
// port, so several can share a process.
import type { Logger } from "pino";
import { createResultCache, type ResultCache } from "./cache/result-cache.js";
import type { AppConfig } from "./config.js";
import { ModelAdmission } from "./core/admission.js";
import { InFlight } from "./core/in-flight.js";
import { InferenceService } from "./core/inference.js";
import { ModelRepository } from "./core/model-repository.js";
import type { Serving } from "./core/serving.js";
import { listenGrpc, type GrpcFrontDoor } from "./grpc/server.js";
import { listenHttp } from "./http/server.js";
import { createLogger } from "./observability/logger.js";
import { createMetrics, type Metrics } from "./observability/metrics.js";

export interface StartOptions {
  /** Default: a pino logger at config.logLevel on stdout. */
  logger?: Logger;
  /** Default: createResultCache(config.cache, ...). The app closes it on close(). */
  cache?: ResultCache;
  /** Set in one of several server processes of a pod (WORKERS > 1): readiness and scrapes speak for the whole pod. */
  cluster?: PodMember;
}

/** What the app needs from the pod's other processes (cluster/worker.ts provides it). */
export interface PodMember {
  /** Every process of the pod is ready. */
  readonly ready: boolean;
  /** The pod's metrics, every process summed. */
  metrics(): Promise<string>;
}

export interface RunningApp {
  /** Where to reach the REST front door: http://host:port, with 127.0.0.1 when bound to all interfaces. */
  readonly url: string;
  readonly port: number;
  /** host:port of the gRPC front door, when GRPC_PORT is set. */
  readonly grpcAddress?: string;
  readonly metrics: Metrics;
  readonly repository: ModelRepository;
  readonly cache: ResultCache;
  /** Settles when every model has been loaded and warmed, or has failed to. */
  readonly loaded: Promise<void>;
  /** Models ready and not draining: what /v2/health/ready answers. */
  readonly ready: boolean;
  /**
   * Graceful stop: readiness fails at once; for `drainWindowMs` (default 0) both front doors
   * keep serving and close connections after each answer; then new inference gets 503 / UNAVAILABLE,
   * accepted requests finish, and the ports and cache close.
   */
  close(options?: { drainWindowMs?: number }): Promise<void>;
}

export async function startApp(config: AppConfig, options: StartOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const repository = await ModelRepository.scan(config.modelRepository, config.limits, logger);
  const cache = options.cache ?? createResultCache(config.cache, metrics, logger);
  const inFlight = new InFlight();
  const admission = new ModelAdmission(
    repository.models.map((m) => ({ name: m.name, limits: m.versions[0]?.limits ?? config.limits })),
    config.admission,
    (model) => ({
      shed: (reason) => metrics.rejected.inc({ model, reason }),
      limit: (limit) => metrics.admissionLimit.set({ model }, limit),
      waiting: (n) => metrics.admissionWaiting.set({ model }, n),
    }),
  );
  const serving: Serving = {
    logger,
    metrics,
    repository,
    admission,
    inference: new InferenceService(repository, cache, config.maxTensorElements),
    inFlight,
    cacheEnabled: cache.backend !== "off",
    get ready() {
      return !inFlight.draining && repository.ready && (options.cluster?.ready ?? true);
    },
    metricsText: () => options.cluster?.metrics() ?? metrics.registry.metrics(),
  };

  const http = await listenHttp(serving, config);
  const grpc: GrpcFrontDoor | undefined = config.grpcPort === undefined ? undefined : await listenGrpc(serving, { ...config, grpcPort: config.grpcPort });
  logger.info(
    { host: config.host, port: http.port, url: http.url, ...(grpc ? { grpcPort: grpc.port, grpcAddress: grpc.address } : {}), modelRepository: config.modelRepository, provider: config.executionProvider, cache: cache.backend, auth: config.authTokens.length > 0 },
    "listening",
  );

  const loaded = repository
    .loadAll({
      provider: config.executionProvider,
      intraOpThreads: config.intraOpThreads,
      interOpThreads: config.interOpThreads,
      batching: config.batching,
      metrics,
      admission,
    })
    .then(() => {
      if (repository.ready) logger.info({ models: repository.models.map((m) => m.name) }, "all models loaded; ready");
      else logger.error("some models failed to load; not ready (see /v2/models/<name>/ready)");
    });

  const close = async (drainWindowMs: number) => {
    // The window: not ready at once, yet still accepting and serving while load balancers
    // catch up; each answer closes its connection (REST) and open HTTP/2 connections are
    // asked to go away once their calls finish (gRPC), so clients reconnect elsewhere.
    inFlight.startDrain();
    logger.info({ active: inFlight.count, drainWindowMs }, "draining: not ready, serving for the drain window");
    grpc?.closeConnections();
    if (drainWindowMs > 0) await new Promise((resolve) => setTimeout(resolve, drainWindowMs));
    const idle = inFlight.drain();
    logger.info({ active: inFlight.count }, "drain window over: not accepting, finishing accepted requests");
    repository.flush();
    // Listening on until the last accepted request is answered: a straggler gets a 503 /
    // UNAVAILABLE that says why, not a refused connection.
    await idle;
    await Promise.all([http.close(), grpc?.close()]);
    await cache.close();
    await loaded;
    await repository.release();
    logger.info("drained and closed");
  };

  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    port: http.port,
    ...(grpc ? { grpcAddress: grpc.address } : {}),
    metrics,
    repository,
    cache,
    loaded,
    get ready() {
      return serving.ready;
    },
    close: (options = {}) => (closing ??= close(options.drainWindowMs ?? 0)),
  };
}
