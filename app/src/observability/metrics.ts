// Prometheus instruments of the server, registered on a registry of their own so
// that several servers (tests, benchmarks) can live in one process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { METRICS } from "./metric-names.js";

// Latency buckets from 1 ms to 10 s: CPU models answer in milliseconds, queues add seconds.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requestDuration: new Histogram({
      name: METRICS.requestDuration,
      help: "End-to-end inference request latency by model, HTTP status (gRPC: the HTTP status of the same outcome) and protocol",
      labelNames: ["model", "status", "protocol"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    queueWait: new Histogram({
      name: METRICS.queueWait,
      help: "Time a request waited in the batch queue",
      labelNames: ["model"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    computeDuration: new Histogram({
      name: METRICS.computeDuration,
      help: "Time one batch spent in onnxruntime",
      labelNames: ["model"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    batchSize: new Histogram({
      name: METRICS.batchSize,
      help: "Rows per executed batch",
      labelNames: ["model"] as const,
      buckets: BATCH_BUCKETS,
      registers,
    }),
    inFlight: new Gauge({ name: METRICS.inFlight, help: "Requests accepted and not yet answered", registers }),
    queueDepth: new Gauge({
      name: METRICS.queueDepth,
      help: "Requests waiting in the batch queue",
      labelNames: ["model"] as const,
      registers,
    }),
    admissionLimit: new Gauge({
      name: METRICS.admissionLimit,
      help: "Requests admission control lets in at once; follows the model's measured capacity",
      labelNames: ["model"] as const,
      registers,
    }),
    admissionWaiting: new Gauge({
      name: METRICS.admissionWaiting,
      help: "Requests waiting for admission, bodies unread",
      labelNames: ["model"] as const,
      registers,
    }),
    drainConnections: new Counter({
      name: METRICS.drainConnections,
      help: "During a drain: connections the server closed (Connection: close, idle keep-alive, HTTP/2 GOAWAY) and requests refused once the window was over",
      labelNames: ["protocol", "action"] as const,
      registers,
    }),
    rejected: new Counter({
      name: METRICS.rejected,
      help: "Requests shed without inference, by reason (waiting_full, wait_timeout, queue_full, deadline, draining)",
      labelNames: ["model", "reason"] as const,
      registers,
    }),
    cacheHits: new Counter({ name: METRICS.cacheHits, help: "Result-cache hits", labelNames: ["backend"] as const, registers }),
    cacheMisses: new Counter({ name: METRICS.cacheMisses, help: "Result-cache misses", labelNames: ["backend"] as const, registers }),
    cacheErrors: new Counter({
      name: METRICS.cacheErrors,
      help: "Result-cache operations that failed or timed out; the request was served without the cache",
      labelNames: ["backend"] as const,
      registers,
    }),
    modelReady: new Gauge({
      name: METRICS.modelReady,
      help: "1 when the model version is loaded and warmed",
      labelNames: ["model", "version"] as const,
      // With several server processes a version is ready when it is in every one of them.
      aggregator: "min",
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
