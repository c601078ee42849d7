// JSON answers with Content-Type exactly "application/json", as Triton's and KServe's servers
// send it. Express's res.json adds "; charset=utf-8", and KServe's Python client reads the
// error text of a response only when the type is exactly application/json.
// On node's ServerResponse, so that Express routes and the inference route share it.
import type { ServerResponse } from "node:http";

export const JSON_TYPE = "application/json";

/** Ends the response with `body` as bytes of `contentType`, with its length. */
export function sendBytes(res: ServerResponse, body: Buffer, contentType: string, status = 200): void {
  res.statusCode = status;
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", body.length);
  res.end(body);
}

export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  sendBytes(res, Buffer.from(JSON.stringify(body)), JSON_TYPE, status);
}
