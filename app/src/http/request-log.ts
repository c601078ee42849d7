// Request id and access log: every response carries the id its log lines carry.
import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import type { Logger } from "pino";

export const REQUEST_ID_HEADER = "x-request-id";
const REQUEST_ID_PATTERN = /^[\w.:@-]{1,128}$/;

/** The client's request id when it is a valid one, else a new UUID. */
export function requestId(given: string | string[] | undefined): string {
  return typeof given === "string" && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestId(req.get(REQUEST_ID_HEADER));
    res.setHeader(REQUEST_ID_HEADER, id);
    res.locals.log = logger.child({ reqId: id });
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const quiet = req.path.startsWith("/v2/health") || req.path === "/metrics";
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      (res.locals.log as Logger)[quiet ? "debug" : "info"]({ method: req.method, path: req.path, status: res.statusCode, ms }, "request");
    });
    next();
  };
}
