// The one definition of the Prometheus series the app exports. The app's metrics
// module registers exactly these; alerts, dashboards and autoscalers in infra/
// import them from here, and a test checks each against a real /metrics scrape.

/** Prefix shared by every app series, so dashboards can select them as a family. */
export const METRIC_PREFIX = "inference_";

export const METRICS = {
  /** Histogram (seconds), labels model, status, protocol (http | grpc): end-to-end request latency as the client sees it; status is the HTTP status, or for gRPC the HTTP status of the same outcome over REST. */
  requestDuration: "inference_request_duration_seconds",
  /** Histogram (seconds), label model: time a request waited in the batch queue. */
  queueWait: "inference_queue_wait_seconds",
  /** Histogram (seconds), label model: time one batch spent inside onnxruntime. */
  computeDuration: "inference_compute_duration_seconds",
  /** Histogram (samples), label model: rows per executed batch. */
  batchSize: "inference_batch_size",
  /** Gauge: requests accepted and not yet answered, all models. */
  inFlight: "inference_requests_in_flight",
  /** Gauge, label model: requests waiting in the batch queue. */
  queueDepth: "inference_queue_depth",
  /** Counter, labels model, reason (waiting_full | wait_timeout | queue_full | deadline | draining): requests shed without inference. */
  rejected: "inference_requests_rejected_total",
  /** Gauge, label model: requests admission control lets in at once now (it follows the model's measured capacity). */
  admissionLimit: "inference_admission_limit",
  /** Gauge, label model: requests waiting in admission control's line, bodies unread (demand beyond the limit). */
  admissionWaiting: "inference_admission_waiting",
  /** Counter, label backend (memory | redis): result-cache hits. */
  cacheHits: "inference_cache_hits_total",
  /** Counter, label backend: result-cache misses. */
  cacheMisses: "inference_cache_misses_total",
  /** Counter, label backend: cache operations that failed or timed out (served without cache). */
  cacheErrors: "inference_cache_errors_total",
  /** Gauge, labels model, version: 1 when the model is loaded and warmed, else 0. */
  modelReady: "inference_model_ready",
  /** Counter, labels protocol (http | grpc), action (closed | refused): connections closed during a drain (Connection: close, idle sockets, GOAWAY), requests refused after its window. */
  drainConnections: "inference_drain_connections_total",
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
