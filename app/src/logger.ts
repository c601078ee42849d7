// Structured JSON logs (pino) on stdout, one object per line, for the cluster's log pipeline.
import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, base: { service: "inference-server" }, timestamp: pino.stdTimeFunctions.isoTime };
  // Synchronous stdout: a line logged just before the process ends (a forced shutdown) is never lost.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
