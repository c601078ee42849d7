// What a front door (REST, gRPC) is handed by the composition root: the one core it serves.
import type { Logger } from "pino";
import type { Metrics } from "../observability/metrics.js";
import type { ModelAdmission } from "./admission.js";
import type { InFlight } from "./in-flight.js";
import type { InferenceService } from "./inference.js";
import type { ModelRepository } from "./model-repository.js";

export interface Serving {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly repository: ModelRepository;
  readonly inference: InferenceService;
  /** Admission control per model: every front door asks it before reading a request's body. */
  readonly admission: ModelAdmission;
  /** Accepted requests across front doors; drain waits for them. */
  readonly inFlight: InFlight;
  /** Whether results are cached (model configuration reports it as response_cache). */
  readonly cacheEnabled: boolean;
  /** Models ready and not draining: what readiness answers. */
  readonly ready: boolean;
  /** What a scrape answers: this process's metrics, or the pod's when several processes serve it. */
  metricsText(): Promise<string>;
}
