// POST /v2/models/{name}[/versions/{version}]/infer on node:http, beside the Express app: the
// body as raw bytes (JSON, or a JSON header followed by binary tensors), the deadline from
// header or parameters, then the core. The route every inference request takes stays off
// Express's router and response helpers, which cost a light model's request ~15 of its
// ~135 µs on the main thread (docs/bench.md, "Where the server's time goes"); it keeps the
// app's order: request id and access log, drain, auth, in-flight tracking, body, inference.
import type { IncomingMessage, ServerResponse } from "node:http";
import express from "express";
import type { Serving } from "../core/serving.js";
import { BINARY_CONTENT_TYPE, HEADER_LENGTH_HEADER, responseBody, splitInferBody } from "../protocol/binary.js";
import { badRequest, HttpError } from "../protocol/errors.js";
import { requestDeadline } from "../protocol/deadline.js";
import { MAX_TIMEOUT_MS, parseInferRequest } from "../protocol/infer-request.js";
import { bearerCheck } from "../core/tokens.js";
import { authorize, type AuthSettings } from "./auth.js";
import { closeIfDraining } from "./drain.js";
import { httpErrorOf, sendError } from "./errors.js";
import { JSON_TYPE, sendBytes } from "./json.js";
import { logRequest } from "./request-log.js";

/** Header carrying a per-request deadline in milliseconds (default REQUEST_TIMEOUT_MS); parameters.timeout (µs) is the in-body twin. */
export const TIMEOUT_HEADER = "x-request-timeout-ms";

/** POST /v2/models/<name>[/versions/<v>]/infer[/], with an optional query string. */
const INFER_PATH = /^\/v2\/models\/([^/?]+)(?:\/versions\/([^/?]+))?\/infer\/?(?:\?|$)/;

/** The model and version an inference request names. */
export interface InferTarget {
  model: string;
  version?: string;
}

/** What an inference request names, decoded as Express decodes route parameters; undefined for any other request (or an undecodable name). */
export function inferTarget(method: string | undefined, url: string | undefined): InferTarget | undefined {
  if (method !== "POST" || url === undefined) return undefined;
  const match = INFER_PATH.exec(url);
  if (!match) return undefined;
  try {
    return { model: decodeURIComponent(match[1]!), ...(match[2] !== undefined ? { version: decodeURIComponent(match[2]) } : {}) };
  } catch {
    return undefined;
  }
}

export interface InferRouteSettings extends AuthSettings {
  /** Largest request body accepted, in bytes (413 past it). */
  bodyLimitBytes: number;
  /** Deadline of a request that names none, in milliseconds. */
  requestTimeoutMs: number;
}

/** The timeout header's milliseconds, or undefined when absent; a 400 naming the header when malformed. */
function timeoutHeader(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header) : NaN;
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) throw badRequest(`${TIMEOUT_HEADER} must be an integer 1-${MAX_TIMEOUT_MS} (milliseconds), got "${header}"`);
  return ms;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
};

export type InferHandler = (req: IncomingMessage, res: ServerResponse, target: InferTarget) => void;

export function inferHandler(serving: Serving, settings: InferRouteSettings): InferHandler {
  const { logger, metrics, repository, inFlight, inference } = serving;
  const check = settings.authTokens.length > 0 ? bearerCheck(settings.authTokens) : undefined;
  // Raw bytes whatever the content type (body-parser, as Express's own express.raw: limit, inflate, length check).
  const readBody = express.raw({ limit: settings.bodyLimitBytes, type: () => true });

  const infer = async (req: IncomingMessage & { body?: unknown }, res: ServerResponse, named: InferTarget) => {
    const arrived = Date.now();
    const target = inference.resolve(named.model, named.version);
    const body = splitInferBody(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), header(req, HEADER_LENGTH_HEADER));
    const request = parseInferRequest(body.json);
    const deadline = requestDeadline(arrived, request.parameters?.timeout, timeoutHeader(header(req, TIMEOUT_HEADER)), settings.requestTimeoutMs);
    const result = await inference.infer({ target, request, binary: body.binary, deadline });
    const head = { model_name: result.model, model_version: result.version, ...(request.id !== undefined ? { id: request.id } : {}) };
    const { body: answer, headerLength } = responseBody(head, result.packed, result.binaryOutputs.size > 0);
    if (headerLength === undefined) return sendBytes(res, answer, JSON_TYPE);
    res.setHeader(HEADER_LENGTH_HEADER, String(headerLength));
    sendBytes(res, answer, BINARY_CONTENT_TYPE);
  };

  return (req, res, named) => {
    const log = logRequest(logger, req, res, (req.url ?? "").split("?", 1)[0]!);
    const fail = (err: unknown) => (res.headersSent ? void res.destroy() : sendError(res, httpErrorOf(err, log)));
    closeIfDraining(serving, res);
    if (check && !authorize(check, req, res)) return;
    // Counted from arrival to response so that drain waits for every accepted request.
    inFlight.begin();
    metrics.inFlight.inc();
    const end = metrics.requestDuration.startTimer();
    // Unknown names are folded into one label value so clients cannot grow the series count.
    const model = repository.models.some((m) => m.name === named.model) ? named.model : "unknown";
    res.on("close", () => {
      metrics.inFlight.dec();
      end({ model, status: String(res.statusCode), protocol: "http" });
      inFlight.end();
    });
    if (inFlight.refusing) {
      metrics.rejected.inc({ model, reason: "draining" });
      metrics.drainConnections.inc({ protocol: "http", action: "refused" });
      return sendError(res, new HttpError(503, "server is shutting down", { "Retry-After": "1", Connection: "close" }));
    }
    readBody(req, res, (err?: unknown) => (err ? fail(err) : infer(req, res, named).catch(fail)));
  };
}
