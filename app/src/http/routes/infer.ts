// POST /v2/models/{name}[/versions/{version}]/infer: the body as raw bytes (JSON, or a JSON
// header followed by binary tensors), the deadline from header or parameters, then the core.
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Serving } from "../../core/serving.js";
import { BINARY_CONTENT_TYPE, HEADER_LENGTH_HEADER, responseBody, splitInferBody } from "../../protocol/binary.js";
import { badRequest, HttpError } from "../../protocol/errors.js";
import { requestDeadline } from "../../protocol/deadline.js";
import { MAX_TIMEOUT_MS, parseInferRequest } from "../../protocol/infer-request.js";
import { sendError } from "../errors.js";
import { JSON_TYPE } from "../json.js";
import { param } from "./params.js";

/** Header carrying a per-request deadline in milliseconds (default REQUEST_TIMEOUT_MS); parameters.timeout (µs) is the in-body twin. */
export const TIMEOUT_HEADER = "x-request-timeout-ms";

export interface InferRouteSettings {
  bodyLimitBytes: number;
  requestTimeoutMs: number;
}

/** The timeout header's milliseconds, or undefined when absent; a 400 naming the header when malformed. */
function timeoutHeader(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header) : NaN;
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) throw badRequest(`${TIMEOUT_HEADER} must be an integer 1-${MAX_TIMEOUT_MS} (milliseconds), got "${header}"`);
  return ms;
}

export function inferRoutes(router: Router, serving: Serving, settings: InferRouteSettings): void {
  const { metrics, repository, inFlight, inference } = serving;

  // Counted from arrival to response so that drain waits for every accepted request.
  const track = (req: Request, res: Response, next: NextFunction) => {
    inFlight.begin();
    metrics.inFlight.inc();
    const end = metrics.requestDuration.startTimer();
    // Unknown names are folded into one label value so clients cannot grow the series count.
    const name = param(req, "name")!;
    const model = repository.models.some((m) => m.name === name) ? name : "unknown";
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
    next();
  };
  // Raw bytes whatever the content type: a JSON body, or a JSON header followed by binary tensors.
  const readBody = express.raw({ limit: settings.bodyLimitBytes, type: () => true });

  const infer = async (req: Request, res: Response) => {
    const arrived = Date.now();
    const target = inference.resolve(param(req, "name")!, param(req, "version"));
    const body = splitInferBody(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.get(HEADER_LENGTH_HEADER));
    const request = parseInferRequest(body.json);
    const deadline = requestDeadline(arrived, request.parameters?.timeout, timeoutHeader(req.get(TIMEOUT_HEADER)), settings.requestTimeoutMs);
    const result = await inference.infer({ target, request, binary: body.binary, deadline });
    const head = { model_name: result.model, model_version: result.version, ...(request.id !== undefined ? { id: request.id } : {}) };
    const { body: answer, headerLength } = responseBody(head, result.packed, result.binaryOutputs.size > 0);
    if (headerLength === undefined) return void res.setHeader("Content-Type", JSON_TYPE).send(answer);
    res.setHeader(HEADER_LENGTH_HEADER, String(headerLength));
    res.type(BINARY_CONTENT_TYPE).send(answer);
  };
  router.post("/v2/models/:name/infer", track, readBody, infer);
  router.post("/v2/models/:name/versions/:version/infer", track, readBody, infer);
}
