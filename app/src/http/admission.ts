// Admission at the HTTP door: an inference request passes its model's admission control
// before its body is read, so a refusal costs one header parse and one small write, whatever
// the body, and a request waiting for a slot costs no CPU.
import type { IncomingMessage, ServerResponse } from "node:http";
import { enterUntilCancelled, refusalMessage, type AdmissionController, type Refusal } from "../core/admission.js";
import { HttpError } from "../protocol/errors.js";
import { sendError } from "./errors.js";
import { REQUEST_ID_HEADER, requestId } from "./request-log.js";

/** A refused request's body is read and dropped to keep the connection; past this size (or of unknown size) the connection is closed instead. */
const MAX_DRAINED_BODY_BYTES = 64 * 1024;

/** The 503 a refusal becomes: V2 error body, Retry-After, the request id, and Connection: close when shedding hard or when the unread body is large. */
function refuse(req: IncomingMessage, res: ServerResponse, model: string, refusal: Refusal): void {
  const length = Number(req.headers["content-length"] ?? NaN);
  const close = refusal.closeConnection || !(length <= MAX_DRAINED_BODY_BYTES);
  const headers = {
    "Retry-After": String(refusal.retryAfterSeconds),
    [REQUEST_ID_HEADER]: requestId(req.headers[REQUEST_ID_HEADER]),
    ...(close ? { Connection: "close" } : {}),
  };
  sendError(res, new HttpError(503, refusalMessage(model, refusal), headers));
}

export interface AdmissionGate {
  /** The controller of a model; undefined lets the request straight on. */
  controller(model: string): AdmissionController | undefined;
  /** A request was refused after `seconds` (counted with the answered requests, status 503). */
  refused?(model: string, seconds: number): void;
}

/**
 * Puts an inference request for `model` through its controller, when the gate knows one, and
 * calls `next` once admitted (its slot released when the response closes); refused requests
 * get their 503 here. Without a controller, `next` runs at once.
 */
export function admit(gate: AdmissionGate, model: string, req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const controller = gate.controller(model);
  if (!controller) return next();
  const arrived = performance.now();
  // A client that gives up while in line leaves it.
  const closed = { on: (f: () => void) => res.once("close", f), off: (f: () => void) => res.off("close", f) };
  enterUntilCancelled(controller, closed, (decision) => {
    if (!decision.admitted) {
      refuse(req, res, model, decision);
      return gate.refused?.(model, (performance.now() - arrived) / 1000);
    }
    res.once("close", decision.release);
    next();
  });
}
