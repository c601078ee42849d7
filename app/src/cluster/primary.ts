// The pod's primary process when WORKERS > 1: it forks the server processes, which share
// the listening port (node:cluster hands accepted connections to them round-robin, Node's
// default on Linux: https://nodejs.org/api/cluster.html#how-it-works), serves no requests
// itself, and keeps the pod one unit to the outside:
// - readiness: a process answers ready only once every process is ready;
// - metrics: a scrape reaching any process is answered with every process's metrics summed
//   (prom-client's AggregatorRegistry), so Prometheus sees one target per pod;
// - drain: SIGTERM is passed to every process, each drains as a single server does, and the
//   primary exits once all have; a process that dies otherwise is replaced.
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import { AggregatorRegistry } from "prom-client";
import { isMessage, type ToPrimary, type ToWorker } from "./messages.js";

export interface PrimaryOptions {
  workers: number;
  /** Environment added to each forked process (its thread settings). */
  env: Record<string, string>;
  /** After this long past SIGTERM, processes still running are killed. */
  shutdownGraceMs: number;
  logger: Logger;
}

/** Pause before replacing a process that died, so that a crash loop does not spin. */
const RESTART_DELAY_MS = 1000;

export function runPrimary(options: PrimaryOptions): void {
  const { logger } = options;
  const aggregator = new AggregatorRegistry();
  const ready = new Set<number>();
  let stopping = false;
  let exitCode = 0;

  const send = (worker: Worker, message: ToWorker) => {
    if (worker.isConnected()) worker.send(message);
  };
  const workers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const announce = () => {
    const all = !stopping && ready.size === options.workers;
    for (const w of workers()) send(w, { type: "inference:cluster-ready", ready: all });
  };

  const fork = () => {
    const worker = cluster.fork(options.env);
    worker.on("message", (message: unknown) => {
      if (!isMessage<ToPrimary>(message)) return;
      if (message.type === "inference:ready") {
        ready.add(worker.id);
        if (ready.size === options.workers) logger.info({ workers: options.workers }, "every server process is ready");
        announce();
      } else if (message.type === "inference:metrics-request") {
        aggregator.clusterMetrics().then(
          (text) => send(worker, { type: "inference:metrics-response", id: message.id, text }),
          (err: Error) => send(worker, { type: "inference:metrics-response", id: message.id, error: err.message }),
        );
      }
    });
  };

  cluster.on("exit", (worker, code, signal) => {
    const wasReady = ready.delete(worker.id);
    if (stopping) {
      if (code !== 0) exitCode = 1;
      if (workers().length === 0) {
        logger.info({ exitCode }, "every server process has exited");
        process.exit(exitCode);
      }
      return;
    }
    announce();
    if (!wasReady) {
      // It never became ready (bad model, port in use): replacing it would fail the same way.
      logger.fatal({ pid: worker.process.pid, code, signal }, "a server process exited before it was ready; stopping");
      stopping = true;
      exitCode = 1;
      for (const w of workers()) w.process.kill("SIGTERM");
      if (workers().length === 0) process.exit(1);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, "a server process died; starting another");
    setTimeout(() => !stopping && fork(), RESTART_DELAY_MS);
  });

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: workers().length }, "shutting down: draining every server process");
    for (const w of workers()) w.process.kill("SIGTERM");
    // Each process has its own grace timer; this one catches a process that hangs anyway.
    setTimeout(() => {
      logger.error({ graceMs: options.shutdownGraceMs }, "server processes still running after the grace period; killing them");
      for (const w of workers()) w.process.kill("SIGKILL");
      process.exit(1);
    }, options.shutdownGraceMs + 1000).unref();
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));

  for (let i = 0; i < options.workers; i++) fork();
}
