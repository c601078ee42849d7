// Bearer-token authentication for everything but probes and scrapes.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import { bearerCheck } from "../core/tokens.js";
import { HttpError } from "../protocol/errors.js";
import { sendError } from "./errors.js";

export interface AuthSettings {
  /** Bearer tokens; empty = no authentication. */
  authTokens: readonly string[];
}

/** True when the request carries an accepted token; else answers 401 and returns false. */
export function authorize(check: ReturnType<typeof bearerCheck>, req: IncomingMessage, res: ServerResponse): boolean {
  const problem = check(req.headers.authorization);
  if (problem === undefined) return true;
  res.setHeader("WWW-Authenticate", 'Bearer realm="inference"');
  sendError(res, new HttpError(401, problem));
  return false;
}

/** Middleware that answers 401 unless the request carries one of `tokens` as `Authorization: Bearer <token>`. */
export function bearerAuth(tokens: readonly string[]): RequestHandler {
  const check = bearerCheck(tokens);
  return (req, res, next) => {
    if (authorize(check, req, res)) next();
  };
}
