// What the primary process and the server processes of one pod say to each other over
// node:cluster's IPC channel.
export type ToPrimary =
  /** This process has loaded and warmed its models. */
  | { type: "inference:ready" }
  /** A scrape reached this process: it wants the pod's metrics, every process summed. */
  | { type: "inference:metrics-request"; id: number };

export type ToWorker =
  /** Whether every process of the pod is ready; each answers readiness with it. */
  | { type: "inference:cluster-ready"; ready: boolean }
  | { type: "inference:metrics-response"; id: number; text?: string; error?: string };

export const isMessage = <T extends { type: string }>(value: unknown): value is T =>
  typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string" && (value as { type: string }).type.startsWith("inference:");
