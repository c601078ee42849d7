// The REST front door's Express application (KServe V2 REST): middleware order and route
// groups for everything but inference, which takes its own route (infer.ts). No listening
// socket here; see server.ts.
import express from "express";
import type { Serving } from "../core/serving.js";
import { bearerAuth, type AuthSettings } from "./auth.js";
import { closeWhileDraining } from "./drain.js";
import { errorHandler, notFound } from "./errors.js";
import { requestLog } from "./request-log.js";
import { healthRoutes } from "./routes/health.js";
import { modelRoutes } from "./routes/models.js";

export function createHttpApp(serving: Serving, settings: AuthSettings): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(requestLog(serving.logger));
  app.use(closeWhileDraining(serving));
  // Open endpoints: probes and scrapes must work without credentials.
  const open = express.Router();
  healthRoutes(open, serving);
  app.use(open);
  if (settings.authTokens.length > 0) app.use(bearerAuth(settings.authTokens));
  const v2 = express.Router();
  modelRoutes(v2, serving);
  app.use(v2);
  app.use(notFound);
  app.use(errorHandler(serving.logger));
  return app;
}
