// Bearer tokens, checked the same way by every front door.
import { createHash, timingSafeEqual } from "node:crypto";

/** Compares bearer tokens in constant time (over digests, so lengths do not leak either). */
export function tokenMatcher(tokens: readonly string[]): (candidate: string) => boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  const known = tokens.map(digest);
  return (candidate) => {
    const d = digest(candidate);
    return known.reduce((found, k) => timingSafeEqual(k, d) || found, false);
  };
}

/** Checks an `authorization` value against the tokens: undefined when it carries one, else why not (for a 401 / UNAUTHENTICATED). */
export function bearerCheck(tokens: readonly string[]): (authorization: string | undefined) => string | undefined {
  const authorized = tokenMatcher(tokens);
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (match && authorized(match[1]!)) return undefined;
    return match ? "invalid bearer token" : "missing bearer token: send Authorization: Bearer <token>";
  };
}
