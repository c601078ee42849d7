// Structured JSON logs (pino) on stdout, one object per line, for the cluster's log pipeline.
import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, base: { service: "inference-server" }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}
