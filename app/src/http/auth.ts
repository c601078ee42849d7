// Bearer-token authentication for everything but probes and scrapes.
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { HttpError } from "../protocol/errors.js";
import { sendError } from "./errors.js";

/** Compares bearer tokens in constant time (over digests, so lengths do not leak either). */
export function tokenMatcher(tokens: readonly string[]): (candidate: string) => boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  const known = tokens.map(digest);
  return (candidate) => {
    const d = digest(candidate);
    return known.reduce((found, k) => timingSafeEqual(k, d) || found, false);
  };
}

/** Middleware that answers 401 unless the request carries one of `tokens` as `Authorization: Bearer <token>`. */
export function bearerAuth(tokens: readonly string[]): RequestHandler {
  const authorized = tokenMatcher(tokens);
  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get("authorization") ?? "");
    if (match && authorized(match[1]!)) return next();
    res.setHeader("WWW-Authenticate", 'Bearer realm="inference"');
    sendError(res, new HttpError(401, match ? "invalid bearer token" : "missing bearer token: send Authorization: Bearer <token>"));
  };
}
