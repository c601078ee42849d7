// How errors reach REST clients: the V2 body {"error": "..."} with the status the error
// carries; client mistakes keep their 4xx, anything else is a logged 500.
import type { ServerResponse } from "node:http";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import { HttpError } from "../protocol/errors.js";
import { sendJson } from "./json.js";

export function sendError(res: ServerResponse, err: HttpError): void {
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  sendJson(res, { error: err.message }, err.status);
}

/** The answer an error becomes: its own HttpError, a body reader's 413 or other 4xx, else a 500 logged on `log`. */
export function httpErrorOf(err: unknown, log: Logger): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as { type?: string; status?: number; message?: string; limit?: number };
  if (e.type === "entity.too.large") return new HttpError(413, `request body is larger than the limit of ${e.limit} bytes`);
  if (typeof e.status === "number" && e.status >= 400 && e.status < 500) return new HttpError(e.status, e.message ?? "bad request");
  log.error({ err }, "request failed");
  return new HttpError(500, `inference failed: ${e.message ?? String(err)}`);
}

export function errorHandler(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) =>
    sendError(res, httpErrorOf(err, (res.locals.log as Logger | undefined) ?? logger));
}

/** Any route not declared: a V2 error body rather than Express's HTML page. */
export function notFound(req: Request, res: Response): void {
  sendError(res, new HttpError(404, `no route for ${req.method} ${req.path}`));
}
