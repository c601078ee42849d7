// JSON answers with Content-Type exactly "application/json", as Triton's and KServe's servers
// send it. Express's res.json adds "; charset=utf-8", and KServe's Python client reads the
// error text of a response only when the type is exactly application/json.
import type { Response } from "express";

export const JSON_TYPE = "application/json";

export function sendJson(res: Response, body: unknown, status = 200): void {
  res.status(status).setHeader("Content-Type", JSON_TYPE);
  res.send(Buffer.from(JSON.stringify(body)));
}
