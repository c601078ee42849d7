// Bearer-token authentication for everything but probes and scrapes.
import type { RequestHandler } from "express";
import { bearerCheck } from "../core/tokens.js";
import { HttpError } from "../protocol/errors.js";
import { sendError } from "./errors.js";

/** Middleware that answers 401 unless the request carries one of `tokens` as `Authorization: Bearer <token>`. */
export function bearerAuth(tokens: readonly string[]): RequestHandler {
  const check = bearerCheck(tokens);
  return (req, res, next) => {
    const problem = check(req.get("authorization"));
    if (problem === undefined) return next();
    res.setHeader("WWW-Authenticate", 'Bearer realm="inference"');
    sendError(res, new HttpError(401, problem));
  };
}
