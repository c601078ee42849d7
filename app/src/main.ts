// Entry point: settings from the environment, the server (one process, or WORKERS processes
// sharing the port under a primary), and a graceful SIGTERM.
import cluster from "node:cluster";
import { startApp } from "./app.js";
import { cpuCount, planProcesses } from "./cluster/cpus.js";
import { runPrimary } from "./cluster/primary.js";
import { joinCluster } from "./cluster/worker.js";
import { ConfigError, loadConfig, type AppConfig } from "./config.js";
import { createLogger, drainLogs } from "./observability/logger.js";

let config: AppConfig;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // One line naming the variable, without a stack trace: it is the operator's mistake, not a bug.
  process.stderr.write(`invalid configuration: ${err.message}\n`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);
process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled rejection"));

const plan = planProcesses(config, cpuCount());
if (plan.workers > 1 && cluster.isPrimary) {
  logger.info({ workers: plan.workers, intraOpThreads: plan.intraOpThreads }, "starting server processes");
  runPrimary({ workers: plan.workers, env: { ORT_INTRA_OP_THREADS: String(plan.intraOpThreads) }, shutdownGraceMs: config.shutdownGraceMs, logger });
} else {
  await serve({ ...config, intraOpThreads: plan.intraOpThreads });
}

async function serve(config: AppConfig): Promise<void> {
  const link = cluster.isWorker ? joinCluster() : undefined;
  // Lines of the pod's processes interleave on one stdout: each says which process wrote it.
  const log = link ? logger.child({ pid: process.pid }) : logger;
  const app = await startApp(config, { logger: log, ...(link ? { cluster: link } : {}) }).catch((err: Error) => {
    logger.fatal({ err: err.message }, "server failed to start");
    process.exit(1);
  });
  if (link) {
    link.contribute(app.metrics.registry);
    void app.loaded.then(() => app.repository.ready && link.reportReady());
  }

  const shutdown = (signal: string) => {
    logger.info({ signal, graceMs: config.shutdownGraceMs, drainWindowMs: config.drainWindowMs }, "shutting down");
    const force = setTimeout(() => {
      logger.error({ graceMs: config.shutdownGraceMs }, "shutdown grace period exceeded; exiting with unfinished work");
      // SIGKILL rather than exit(1): a normal exit while onnxruntime is mid-run in a worker
      // thread aborts inside the native binding; this ends the same way Kubernetes would.
      void drainLogs(logger).then(() => process.kill(process.pid, "SIGKILL"));
    }, config.shutdownGraceMs);
    app.close({ drainWindowMs: config.drainWindowMs }).then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (err: Error) => {
        logger.error({ err: err.message }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}
