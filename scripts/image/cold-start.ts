// The cold-start budget of a serving pod after a scale-up: node launch + image pull
// + model load and warm-up, per stack, from what was measured here (image layers,
// time to ready: scripts/image/figures.json, written by `npm run image -- --record`)
// and documented figures where nothing here can measure (node launch, registry pull
// throughput). Warm spare capacity skips the first two; a release pulls one layer.
import { readFileSync } from "node:fs";
import { estimateMonthlyCost } from "../lib/cost-estimate.js";
import type { ProgramRun } from "../lib/mock-program.js";

/** What `npm run image -- --record` measured. */
export interface Figures {
  measuredAt: string;
  loadAverage: number[];
  baseBytes: number;
  imageBytes: number;
  /** Bytes of the last layer (app/dist): what a code release pulls. */
  appLayerBytes: number;
  readySeconds: number;
}

export const DOCUMENTED = {
  nodeLaunchSeconds: {
    value: 65,
    source: "EKS nodes ready in 65 s before tuning, 45 s after (kube.fm, 'Faster EKS Node and Pod Startup', Outreach, ~1,000 nodes)",
  },
  pullBytesPerSecond: {
    value: 17.5e9 / 300,
    source: "standard pulls of 15-20 GB images take 4-6 min per instance (AWS ML blog, 'Reducing container cold start times using SOCI index on DLAMI and DLC'): 58 MB/s",
  },
};

/**
 * The CUDA image is the CPU image plus the libraries scripts/image/cuda-sizes.ts
 * lists as linked or loaded on demand (Debian's CUDA 12.4 package lists: 649 + 66 MB
 * installed) and cuDNN 9 (276 MB compressed, NVIDIA's conda package libcudnn 9.12;
 * about 660 MB installed at the 2.4 ratio of Debian's CUDA library packages).
 */
export const CUDA_LIBRARY_BYTES = 649.2e6 + 65.9e6 + 276.1e6 * 2.4;

export function readFigures(file = new URL("./figures.json", import.meta.url)): Figures {
  return JSON.parse(readFileSync(file, "utf8")) as Figures;
}

export interface Step {
  step: string;
  seconds: number;
  basis: string;
}

export interface ColdStart {
  variant: "cpu" | "cuda";
  steps: Step[];
  total: number;
  /** With a warm spare in the pool: the node runs and has the image. */
  warm?: number;
  /** A release of new code onto a node that ran the previous one: the app layer only. */
  releasePullSeconds: number;
  /** Monthly USD the placeholders add at the stack's low estimate (0 without warm spare). */
  warmSpareUsdPerMonth: number;
  warmSpareGpus: number;
}

const isServer = (r: ProgramRun["resources"][number]) =>
  r.type === "kubernetes:apps/v1:Deployment" && r.inputs.spec?.template?.spec?.containers?.[0]?.name === "server";
const isPlaceholder = (r: ProgramRun["resources"][number]) =>
  r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata?.labels?.["app.kubernetes.io/component"] === "warm-spare";

export function coldStart(run: ProgramRun, figures: Figures): ColdStart {
  const server = run.resources.find(isServer);
  if (!server) throw new Error(`stack ${run.stack}: no Deployment with a "server" container`);
  const gpus = Number(server.inputs.spec.template.spec.containers[0].resources?.requests?.["nvidia.com/gpu"] ?? 0);
  const variant = gpus > 0 ? "cuda" : "cpu";
  const aws = run.resources.some((r) => r.type === "eks:index:Cluster");
  const bytes = figures.imageBytes + (variant === "cuda" ? CUDA_LIBRARY_BYTES : 0);
  const pull = DOCUMENTED.pullBytesPerSecond.value;
  const steps: Step[] = [
    ...(aws ? [{ step: "node launch", seconds: DOCUMENTED.nodeLaunchSeconds.value, basis: "documented" }] : []),
    { step: `image pull (${(bytes / 1e6).toFixed(0)} MB ${variant} image)`, seconds: bytes / pull, basis: variant === "cuda" ? "CPU image measured + CUDA libraries from package lists, at the documented pull rate" : "measured size, documented pull rate" },
    { step: "start, model load, warm-up to ready", seconds: figures.readySeconds, basis: `measured (CPU image, podman, load ${figures.loadAverage[0]?.toFixed(1)})${variant === "cuda" ? "; CUDA context start not measurable here" : ""}` },
  ];
  const placeholders = run.resources.filter(isPlaceholder);
  const warmSpareGpus = placeholders.reduce(
    (n, d) => n + d.inputs.spec.replicas * Number(d.inputs.spec.template.spec.containers[0].resources.requests["nvidia.com/gpu"] ?? 0),
    0,
  );
  // The spare's cost is the stack's low estimate with and without the placeholders.
  const warmSpareUsdPerMonth = placeholders.length === 0 ? 0 : estimateMonthlyCost(run).low - estimateMonthlyCost({ ...run, resources: run.resources.filter((r) => !isPlaceholder(r)) }).low;
  return {
    variant,
    steps,
    total: steps.reduce((s, x) => s + x.seconds, 0),
    ...(warmSpareGpus > 0 ? { warm: figures.readySeconds } : {}),
    releasePullSeconds: figures.appLayerBytes / pull,
    warmSpareUsdPerMonth,
    warmSpareGpus,
  };
}

/** The plan's section. */
export function renderColdStart(c: ColdStart, figures: Figures): string[] {
  const s = (n: number) => (n < 0.1 ? "< 0.1 s" : `${n.toFixed(n < 10 ? 1 : 0)} s`).padStart(8);
  return [
    `Cold start of a serving pod after a scale-up (${c.variant} image; budget, not a guarantee):`,
    ...c.steps.map((x) => `  ${s(x.seconds)}  ${x.step}  [${x.basis}]`),
    `  ${s(c.total)}  total from a pending pod to ready`,
    c.warm === undefined
      ? "  no warm spare: every scale-up beyond the running nodes waits for all of the above"
      : `  ${s(c.warm)}  with the warm spare (${c.warmSpareGpus} GPU held by placeholders, USD ${c.warmSpareUsdPerMonth.toFixed(0)} a month): node running, image pulled`,
    `  ${s(c.releasePullSeconds)}  image pull of a code release on a node that ran the previous one (app layer only)`,
    `  Measured ${figures.measuredAt}. Sources: ${DOCUMENTED.nodeLaunchSeconds.source}; ${DOCUMENTED.pullBytesPerSecond.source}.`,
  ];
}
