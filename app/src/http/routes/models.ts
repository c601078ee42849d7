// Server and model metadata and model readiness (V2 REST).
import express, { type Request, type Response, type Router } from "express";
import { modelConfig, modelStatistics, repositoryIndex } from "../../core/extensions.js";
import { modelMetadata, serverMetadata } from "../../core/metadata.js";
import { isServing } from "../../core/model-repository.js";
import type { Serving } from "../../core/serving.js";
import { badRequest } from "../../protocol/errors.js";
import { sendJson } from "../json.js";
import { param } from "./params.js";

export function modelRoutes(router: Router, serving: Serving): void {
  const { repository, inFlight } = serving;
  router.get("/v2", (_req, res) => {
    sendJson(res, serverMetadata());
  });

  // Before /v2/models/:name, which would take "stats" for a model name.
  router.get("/v2/models/stats", (_req, res) => sendJson(res, { model_stats: modelStatistics(repository) }));

  const metadata = (req: Request, res: Response) => {
    const v = repository.serving(param(req, "name")!, param(req, "version"));
    sendJson(res, modelMetadata(repository, v));
  };
  router.get("/v2/models/:name", metadata);
  router.get("/v2/models/:name/versions/:version", metadata);

  const modelReady = (req: Request, res: Response) => {
    const v = repository.version(param(req, "name")!, param(req, "version"));
    const ready = isServing(v) && !inFlight.draining;
    const error = v.error ?? v.session?.failure?.message;
    sendJson(res, { name: v.name, version: v.version, ready, ...(error ? { error } : {}) }, ready ? 200 : 503);
  };
  router.get("/v2/models/:name/ready", modelReady);
  router.get("/v2/models/:name/versions/:version/ready", modelReady);

  // Triton's statistics extension: GET v2/models[/{name}[/versions/{version}]]/stats.
  const stats = (req: Request, res: Response) => sendJson(res, { model_stats: modelStatistics(repository, param(req, "name")!, param(req, "version")) });
  router.get("/v2/models/:name/stats", stats);
  router.get("/v2/models/:name/versions/:version/stats", stats);

  // Triton's model configuration extension: the effective settings of a loaded version.
  const config = (req: Request, res: Response) => sendJson(res, modelConfig(repository.version(param(req, "name")!, param(req, "version")), serving.cacheEnabled));
  router.get("/v2/models/:name/config", config);
  router.get("/v2/models/:name/versions/:version/config", config);

  // Triton's model repository extension, index only: POST v2/repository/index {"ready": bool}.
  router.post("/v2/repository/index", express.json({ limit: "4kb", type: () => true }), (req, res) => {
    const body: unknown = req.body ?? {};
    const ready = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as { ready?: unknown }).ready : undefined;
    if (ready !== undefined && typeof ready !== "boolean") throw badRequest(`"ready" must be true or false, got ${JSON.stringify(ready)}`);
    sendJson(res, repositoryIndex(repository, ready === true));
  });
}
