// HTTP wiring of the Open Inference Protocol (KServe V2 REST) over the model
// repository: routes, auth, body limits, request ids, metrics and graceful drain.
// startServer() is the programmatic entry used by main.ts, tests and benchmarks;
// every instance has its own registry, cache and port, so several can share a process.
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import { QueueFullError, DeadlineExceededError } from "./batcher.js";
import { cacheKey, createResultCache, type ResultCache } from "./cache.js";
import type { AppConfig } from "./config.js";
import { HttpError, badRequest } from "./http-error.js";
import { createLogger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { ModelRepository, isServing, type ModelVersion } from "./model-repository.js";
import { BINARY_CONTENT_TYPE, HEADER_LENGTH_HEADER, packOutputs, responseBody, splitInferBody } from "./binary-protocol.js";
import { binaryOutputs, MAX_TIMEOUT_MS, parseInferRequest, selectOutputs, toTensors } from "./protocol.js";

export const SERVER_NAME = "inference-platform";
const SERVER_VERSION: string = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;
const PLATFORM = "onnxruntime_onnx";

/** Header carrying a per-request deadline in milliseconds (default REQUEST_TIMEOUT_MS); parameters.timeout (µs) is the in-body twin. */
export const TIMEOUT_HEADER = "x-request-timeout-ms";
export const REQUEST_ID_HEADER = "x-request-id";
const REQUEST_ID_PATTERN = /^[\w.:@-]{1,128}$/;

export interface StartOptions {
  /** Default: a pino logger at config.logLevel on stdout. */
  logger?: Logger;
  /** Default: createResultCache(config.cache, ...). The server closes it on close(). */
  cache?: ResultCache;
}

export interface RunningServer {
  /** Where to reach the server: http://host:port, with 127.0.0.1 when bound to all interfaces. */
  readonly url: string;
  readonly port: number;
  readonly metrics: Metrics;
  readonly repository: ModelRepository;
  readonly cache: ResultCache;
  /** Settles when every model has been loaded and warmed, or has failed to. */
  readonly loaded: Promise<void>;
  /** Models ready and not draining: what /v2/health/ready answers. */
  readonly ready: boolean;
  /** Graceful stop: readiness fails at once, new inference gets 503, accepted requests finish, then the port and cache close. */
  close(): Promise<void>;
}

/** Compares bearer tokens in constant time (over digests, so lengths do not leak either). */
function tokenMatcher(tokens: readonly string[]): (candidate: string) => boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  const known = tokens.map(digest);
  return (candidate) => {
    const d = digest(candidate);
    return known.reduce((found, k) => timingSafeEqual(k, d) || found, false);
  };
}

function sendError(res: Response, err: HttpError): void {
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.status(err.status).json({ error: err.message });
}

/**
 * Milliseconds until the request's deadline: the sooner of the timeout header and the
 * `timeout` request parameter (microseconds, 0 = unset), or the configured default when neither is set.
 */
function requestTimeout(header: string | undefined, parameterUs: number | undefined, fallback: number): number {
  const asked: number[] = [];
  if (header !== undefined) {
    const ms = /^\d+$/.test(header.trim()) ? Number(header) : NaN;
    if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) throw badRequest(`${TIMEOUT_HEADER} must be an integer 1-${MAX_TIMEOUT_MS} (milliseconds), got "${header}"`);
    asked.push(ms);
  }
  // Rounded up so that a sub-millisecond timeout still means "as soon as possible", not "none".
  if (parameterUs !== undefined && parameterUs > 0) asked.push(Math.ceil(parameterUs / 1000));
  return asked.length > 0 ? Math.min(...asked) : fallback;
}

/** The batcher refused one request (its deadline, a full queue): nothing about its inputs, so not shared with identical requests. */
const isAdmissionFailure = (err: unknown) => err instanceof QueueFullError || err instanceof DeadlineExceededError;

/** A named route parameter (never a wildcard here, so always one string). */
const param = (req: Request, name: string): string | undefined => {
  const v = req.params[name];
  return Array.isArray(v) ? v.join("/") : v;
};

function modelMetadata(repository: ModelRepository, v: ModelVersion & { session: NonNullable<ModelVersion["session"]> }) {
  return {
    name: v.name,
    versions: repository.entry(v.name).versions.map((x) => x.version),
    platform: PLATFORM,
    inputs: v.session.inputs,
    outputs: v.session.outputs,
  };
}

export async function startServer(config: AppConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const repository = await ModelRepository.scan(config.modelRepository, config.limits, logger);
  const cache = options.cache ?? createResultCache(config.cache, metrics, logger);
  const authorized = config.authTokens.length > 0 ? tokenMatcher(config.authTokens) : undefined;

  let draining = false;
  let active = 0;
  let idle: (() => void) | undefined;
  const isReady = () => !draining && repository.ready;

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  // Request id and access log: every response carries the id its log lines carry.
  app.use((req, res, next) => {
    const given = req.get(REQUEST_ID_HEADER);
    const id = given && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    res.setHeader(REQUEST_ID_HEADER, id);
    res.locals.log = logger.child({ reqId: id });
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const quiet = req.path.startsWith("/v2/health") || req.path === "/metrics";
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      (res.locals.log as Logger)[quiet ? "debug" : "info"]({ method: req.method, path: req.path, status: res.statusCode, ms }, "request");
    });
    next();
  });

  // Open endpoints: probes and scrapes must work without credentials.
  app.get("/v2/health/live", (_req, res) => {
    res.json({ live: true });
  });
  app.get("/v2/health/ready", (_req, res) => {
    res.status(isReady() ? 200 : 503).json({ ready: isReady() });
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  if (authorized) {
    app.use((req, res, next) => {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get("authorization") ?? "");
      if (match && authorized(match[1]!)) return next();
      res.setHeader("WWW-Authenticate", 'Bearer realm="inference"');
      sendError(res, new HttpError(401, match ? "invalid bearer token" : "missing bearer token: send Authorization: Bearer <token>"));
    });
  }

  app.get("/v2", (_req, res) => {
    res.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: ["binary_tensor_data"] });
  });

  const metadata = (req: Request, res: Response) => {
    const v = repository.serving(param(req, "name")!, param(req, "version"));
    res.json(modelMetadata(repository, v));
  };
  app.get("/v2/models/:name", metadata);
  app.get("/v2/models/:name/versions/:version", metadata);

  const modelReady = (req: Request, res: Response) => {
    const v = repository.version(param(req, "name")!, param(req, "version"));
    const ready = isServing(v) && !draining;
    const error = v.error ?? v.session?.failure?.message;
    res.status(ready ? 200 : 503).json({ name: v.name, version: v.version, ready, ...(error ? { error } : {}) });
  };
  app.get("/v2/models/:name/ready", modelReady);
  app.get("/v2/models/:name/versions/:version/ready", modelReady);

  // Inference: counted from arrival to response so that drain waits for every accepted request.
  const track = (req: Request, res: Response, next: NextFunction) => {
    active++;
    metrics.inFlight.inc();
    const end = metrics.requestDuration.startTimer();
    // Unknown names are folded into one label value so clients cannot grow the series count.
    const name = param(req, "name")!;
    const model = repository.models.some((m) => m.name === name) ? name : "unknown";
    res.on("close", () => {
      active--;
      metrics.inFlight.dec();
      end({ model, status: String(res.statusCode) });
      if (active === 0) idle?.();
    });
    if (draining) {
      metrics.rejected.inc({ model, reason: "draining" });
      return sendError(res, new HttpError(503, "server is shutting down", { "Retry-After": "1", Connection: "close" }));
    }
    next();
  };
  // Raw bytes whatever the content type: a JSON body, or a JSON header followed by binary tensors.
  const readBody = express.raw({ limit: config.bodyLimitBytes, type: () => true });

  const infer = async (req: Request, res: Response) => {
    const arrived = Date.now();
    const v = repository.serving(param(req, "name")!, param(req, "version"));
    const body = splitInferBody(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.get(HEADER_LENGTH_HEADER));
    const request = parseInferRequest(body.json);
    const deadline = arrived + requestTimeout(req.get(TIMEOUT_HEADER), request.parameters?.timeout, config.requestTimeoutMs);
    const inputs = toTensors(request.inputs, v.session.inputs, config.maxTensorElements, body.binary);
    const outputs = selectOutputs(request.outputs, v.session.outputs);
    const binary = binaryOutputs(request, outputs);
    const compute = async () => packOutputs(await v.runner.infer(inputs, outputs, deadline), binary);
    // parameters.cache = false asks for a fresh inference (no lookup, no store).
    const useCache = request.parameters?.cache !== false;
    const key = () => cacheKey({ model: v.name, version: v.version, outputs, binaryOutputs: binary, inputs });
    const value = await (useCache ? cache.getOrCompute(key(), compute, isAdmissionFailure).then((r) => r.value) : compute()).catch((err: unknown) => {
      if (err instanceof QueueFullError) throw new HttpError(503, `model "${v.name}" is overloaded: ${err.message}; retry later`, { "Retry-After": "1" });
      if (err instanceof DeadlineExceededError) throw new HttpError(504, err.message);
      throw err;
    });
    const head = { model_name: v.name, model_version: v.version, ...(request.id !== undefined ? { id: request.id } : {}) };
    const { body: answer, headerLength } = responseBody(head, value, binary.size > 0);
    if (headerLength === undefined) return void res.type("application/json").send(answer);
    res.setHeader(HEADER_LENGTH_HEADER, String(headerLength));
    res.type(BINARY_CONTENT_TYPE).send(answer);
  };
  app.post("/v2/models/:name/infer", track, readBody, infer);
  app.post("/v2/models/:name/versions/:version/infer", track, readBody, infer);

  app.use((req, res) => {
    sendError(res, new HttpError(404, `no route for ${req.method} ${req.path}`));
  });

  // Errors: V2 body {"error": "..."}; client mistakes keep their 4xx, the rest is a logged 500.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const log = (res.locals.log as Logger | undefined) ?? logger;
    if (err instanceof HttpError) return sendError(res, err);
    const e = err as { type?: string; status?: number; message?: string; limit?: number };
    if (e.type === "entity.too.large") return sendError(res, new HttpError(413, `request body is larger than the limit of ${e.limit} bytes`));
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500) return sendError(res, new HttpError(e.status, e.message ?? "bad request"));
    log.error({ err }, "request failed");
    sendError(res, new HttpError(500, `inference failed: ${e.message ?? String(err)}`));
  });

  const http = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    http.once("listening", resolve);
    http.once("error", reject);
  });
  const { port } = http.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  logger.info({ host: config.host, port, url, modelRepository: config.modelRepository, provider: config.executionProvider, cache: cache.backend, auth: Boolean(authorized) }, "listening");

  const loaded = repository
    .loadAll({
      provider: config.executionProvider,
      intraOpThreads: config.intraOpThreads,
      interOpThreads: config.interOpThreads,
      batching: config.batching,
      metrics,
    })
    .then(() => {
      if (repository.ready) logger.info({ models: repository.models.map((m) => m.name) }, "all models loaded; ready");
      else logger.error("some models failed to load; not ready (see /v2/models/<name>/ready)");
    });

  let closing: Promise<void> | undefined;
  const close = async () => {
    draining = true;
    logger.info({ active }, "draining: not ready, finishing accepted requests");
    repository.flush();
    if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    await cache.close();
    await loaded;
    await repository.release();
    logger.info("drained and closed");
  };

  return {
    url,
    port,
    metrics,
    repository,
    cache,
    loaded,
    get ready() {
      return isReady();
    },
    close: () => (closing ??= close()),
  };
}
