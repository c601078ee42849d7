// Request id and access log: every response carries the id its log lines carry.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { Logger } from "pino";

export const REQUEST_ID_HEADER = "x-request-id";
const REQUEST_ID_PATTERN = /^[\w.:@-]{1,128}$/;

/** The client's request id when it is a valid one, else a new UUID. */
export function requestId(given: string | string[] | undefined): string {
  return typeof given === "string" && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}

/**
 * Gives the response its request id and returns the request's logger; the access line is
 * logged once the response is sent (probes and scrapes at debug), and not even timed when
 * its level is off.
 */
export function logRequest(logger: Logger, req: IncomingMessage, res: ServerResponse, path: string): Logger {
  const id = requestId(req.headers[REQUEST_ID_HEADER]);
  res.setHeader(REQUEST_ID_HEADER, id);
  const log = logger.child({ reqId: id });
  const level = path.startsWith("/v2/health") || path === "/metrics" ? "debug" : "info";
  if (log.isLevelEnabled(level)) {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log[level]({ method: req.method, path, status: res.statusCode, ms }, "request");
    });
  }
  return log;
}

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    res.locals.log = logRequest(logger, req, res, req.path);
    next();
  };
}
