// A server process's side of the pod's cluster (see primary.ts): it reports when its models
// are ready, learns whether the whole pod is, and asks the primary for the pod's metrics.
import { AggregatorRegistry, type Registry } from "prom-client";
import { isMessage, type ToPrimary, type ToWorker } from "./messages.js";

export interface ClusterLink {
  /** Every process of the pod is ready. */
  readonly ready: boolean;
  /** The registry this process adds to the pod's scrapes. */
  contribute(registry: Registry): void;
  /** Tells the primary this process is ready. */
  reportReady(): void;
  /** The pod's metrics in Prometheus text: every process's registry summed by the primary. */
  metrics(): Promise<string>;
}

const METRICS_TIMEOUT_MS = 5000;

/** Joins the pod's cluster from a forked server process. */
export function joinCluster(): ClusterLink {
  // The primary collects each process's registry through prom-client's own IPC messages.
  new AggregatorRegistry();
  const send = (message: ToPrimary) => process.send?.(message);
  const pending = new Map<number, { resolve(text: string): void; reject(err: Error): void; timer: NodeJS.Timeout }>();
  let nextId = 0;
  let ready = false;
  process.on("message", (message: unknown) => {
    if (!isMessage<ToWorker>(message)) return;
    if (message.type === "inference:cluster-ready") {
      ready = message.ready;
    } else if (message.type === "inference:metrics-response") {
      const p = pending.get(message.id);
      if (!p) return;
      pending.delete(message.id);
      clearTimeout(p.timer);
      if (message.text !== undefined) p.resolve(message.text);
      else p.reject(new Error(`collecting the pod's metrics failed: ${message.error ?? "no answer"}`));
    }
  });
  return {
    get ready() {
      return ready;
    },
    contribute: (registry) => AggregatorRegistry.setRegistries([registry]),
    reportReady: () => send({ type: "inference:ready" }),
    metrics: () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`the primary process did not send the pod's metrics within ${METRICS_TIMEOUT_MS} ms`));
        }, METRICS_TIMEOUT_MS);
        pending.set(id, { resolve, reject, timer });
        send({ type: "inference:metrics-request", id });
      }),
  };
}
