// Server and model metadata and model readiness (V2 REST).
import type { Request, Response, Router } from "express";
import { modelMetadata, serverMetadata } from "../../core/metadata.js";
import { isServing } from "../../core/model-repository.js";
import type { Serving } from "../../core/serving.js";
import { param } from "./params.js";

export function modelRoutes(router: Router, serving: Serving): void {
  const { repository, inFlight } = serving;
  router.get("/v2", (_req, res) => {
    res.json(serverMetadata());
  });

  const metadata = (req: Request, res: Response) => {
    const v = repository.serving(param(req, "name")!, param(req, "version"));
    res.json(modelMetadata(repository, v));
  };
  router.get("/v2/models/:name", metadata);
  router.get("/v2/models/:name/versions/:version", metadata);

  const modelReady = (req: Request, res: Response) => {
    const v = repository.version(param(req, "name")!, param(req, "version"));
    const ready = isServing(v) && !inFlight.draining;
    const error = v.error ?? v.session?.failure?.message;
    res.status(ready ? 200 : 503).json({ name: v.name, version: v.version, ready, ...(error ? { error } : {}) });
  };
  router.get("/v2/models/:name/ready", modelReady);
  router.get("/v2/models/:name/versions/:version/ready", modelReady);
}
