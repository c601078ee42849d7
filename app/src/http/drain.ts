// The REST side of the drain window: every answer given while draining carries
// Connection: close, so each keep-alive connection closes between requests, right after the
// answer it was opened or reused for, and the client's next request opens a new connection,
// which the load balancer sends to a target that is not deregistering (RFC 9112 section 9.6).
import type { ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { Serving } from "../core/serving.js";

export function closeIfDraining(serving: Serving, res: ServerResponse): void {
  if (serving.inFlight.draining) {
    res.setHeader("Connection", "close");
    serving.metrics.drainConnections.inc({ protocol: "http", action: "closed" });
  }
}

export function closeWhileDraining(serving: Serving): RequestHandler {
  return (_req, res, next) => {
    closeIfDraining(serving, res);
    next();
  };
}
