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
  readonly metrics: Metrics;
  readonly repository: ModelRepository;
  readonly cache: ResultCache;
  /** Settles when every model has been loaded and warmed, or has failed to. */
  readonly loaded: Promise<void>;
  /** Models ready and not draining: what /v2/health/ready answers. */
  readonly ready: boolean;
  /** Graceful stop: readiness fails at once, new inference gets 503, accepted requests finish, then the ports and cache close. */
  close(): Promise<void>;
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
    get ready() {
      return !inFlight.draining && repository.ready && (options.cluster?.ready ?? true);
    },
    metricsText: () => options.cluster?.metrics() ?? metrics.registry.metrics(),
  };

  const http = await listenHttp(serving, config);
  logger.info(
    { host: config.host, port: http.port, url: http.url, modelRepository: config.modelRepository, provider: config.executionProvider, cache: cache.backend, auth: config.authTokens.length > 0 },
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

  const close = async () => {
    const idle = inFlight.drain();
    logger.info({ active: inFlight.count }, "draining: not ready, finishing accepted requests");
    repository.flush();
    await idle;
    await http.close();
    await cache.close();
    await loaded;
    await repository.release();
    logger.info("drained and closed");
  };

  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    port: http.port,
    metrics,
    repository,
    cache,
    loaded,
    get ready() {
      return serving.ready;
    },
    close: () => (closing ??= close()),
  };
}
