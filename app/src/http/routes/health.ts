// Probes and the Prometheus scrape: open endpoints, declared before authentication.
import type { Router } from "express";
import type { Serving } from "../../core/serving.js";

export function healthRoutes(router: Router, serving: Serving): void {
  router.get("/v2/health/live", (_req, res) => {
    res.json({ live: true });
  });
  router.get("/v2/health/ready", (_req, res) => {
    const ready = serving.ready;
    res.status(ready ? 200 : 503).json({ ready });
  });
  router.get("/metrics", async (_req, res) => {
    res.type(serving.metrics.registry.contentType).send(await serving.metricsText());
  });
}
