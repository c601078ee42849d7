// The REST front door's listening socket.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Serving } from "../core/serving.js";
import { admit, type AdmissionGate } from "./admission.js";
import { createHttpApp } from "./app.js";
import { inferHandler, inferTarget, type InferRouteSettings } from "./infer.js";

export interface HttpServerSettings extends InferRouteSettings {
  host: string;
  /** 0 = any free port. */
  port: number;
}

export interface HttpFrontDoor {
  /** Where to reach it: http://host:port, with 127.0.0.1 when bound to all interfaces. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes every connection (call once nothing is in flight). */
  close(): Promise<void>;
}

export async function listenHttp(serving: Serving, settings: HttpServerSettings): Promise<HttpFrontDoor> {
  const app = createHttpApp(serving, settings);
  const infer = inferHandler(serving, settings);
  const { admission, metrics } = serving;
  const gate: AdmissionGate = {
    controller: (model) => admission.for(model),
    refused: (model, seconds) => metrics.requestDuration.observe({ model, status: "503" }, seconds),
  };
  // Inference requests pass admission control, then take their own route; the rest go to Express.
  const http: Server = createServer((req, res) => {
    const target = inferTarget(req.method, req.url);
    if (target === undefined) return app(req, res);
    admit(gate, target.model, req, res, () => infer(req, res, target));
  }).listen(settings.port, settings.host);
  await new Promise<void>((resolve, reject) => {
    http.once("listening", resolve);
    http.once("error", reject);
  });
  const { port } = http.address() as AddressInfo;
  const host = settings.host === "0.0.0.0" || settings.host === "::" ? "127.0.0.1" : settings.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
