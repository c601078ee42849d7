// Probes and the Prometheus scrape: open endpoints, declared before authentication.
import type { Router } from "express";
import type { Serving } from "../../core/serving.js";
import { sendJson } from "../json.js";

export function healthRoutes(router: Router, serving: Serving): void {
  router.get("/v2/health/live", (_req, res) => {
    sendJson(res, { live: true });
  });
  router.get("/v2/health/ready", (_req, res) => {
    const ready = serving.ready;
    sendJson(res, { ready }, ready ? 200 : 503);
  });
  router.get("/metrics", async (_req, res) => {
    res.type(serving.metrics.registry.contentType).send(await serving.metricsText());
  });
}
