// The whole image check, shared by `npm run image` and test/image: build the CPU
// image on the stand-in base, run it as the `local` stack's Deployment runs it,
// smoke-test it, drain it with SIGTERM, and look for writes outside its volumes.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildImage, sizeReport, type BuiltImage } from "./build.js";
import { containerRun, deploymentPodSpec, type ContainerRun } from "./deployment.js";
import { drainOnSigterm, logs, noisyLogLines, remove, smoke, startContainer, waitReady, writesOutside, type Drain } from "./run.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CPU_IMAGE_TAG = "localhost/inference-app:image-test";
/** The budget of the CPU image above its base: node_modules (onnxruntime ≈ 40 MB of it), models, code. */
export const CPU_APP_BUDGET_BYTES = 80e6;
/** podman's own mount points and their parent directories, as `podman diff` lists them (exact paths, nothing below). */
export const PODMAN_MANAGED = ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run/.containerenv", "/etc", "/run"];

export interface ImageCheck {
  image: BuiltImage;
  spec: ContainerRun;
  readySeconds: number;
  smoke: { status: number; output: string };
  drain: Drain;
  /** Noise in the read-only run's log (errors, warnings, foreign lines). */
  noisyLines: string[];
  /** Writes the writable run made outside the declared volumes and podman's own files. */
  strayWrites: string[];
  /** The same two checks on a run with onnxruntime's telemetry switched back on: proof that they catch it. */
  telemetryOn: { strayWrites: string[]; noisyLines: string[] };
}

export async function checkCpuImage(log: (line: string) => void): Promise<ImageCheck> {
  const image = await buildImage({ repoRoot: REPO_ROOT, dockerfile: "app/Dockerfile", tag: CPU_IMAGE_TAG, log });
  log(`built ${image.tag} in ${image.buildSeconds.toFixed(0)} s\n${sizeReport(image)}`);
  const spec = containerRun(await deploymentPodSpec("local"), "server");
  if (spec.leftOutEnv.length > 0) log(`left out (Secret-backed in the cluster): ${spec.leftOutEnv.join(", ")}`);

  // As the Deployment runs it: read-only root, only its volumes writable.
  const readOnly = await startContainer(image.tag, spec);
  let readySeconds: number;
  let smokeResult: { status: number; output: string };
  let drain: Drain;
  let noisyLines: string[];
  try {
    readySeconds = await waitReady(readOnly, spec);
    log(`ready ${readySeconds.toFixed(2)} s after container start`);
    smokeResult = await smoke(readOnly.url, REPO_ROOT);
    drain = await drainOnSigterm(readOnly, spec, "spam-classifier");
    log(`SIGTERM: exit ${drain.exitCode} after ${drain.seconds.toFixed(2)} s; in-flight responses ${JSON.stringify(drain.statuses)}`);
    noisyLines = noisyLogLines(await logs(readOnly.id));
  } finally {
    await remove(readOnly.id);
  }

  // The same with a writable root, to see with `podman diff` what it would write where.
  const { strayWrites } = await writableRun(image.tag, spec);
  return { image, spec, readySeconds, smoke: smokeResult, drain, noisyLines, strayWrites, telemetryOn: await writableRun(image.tag, { ...spec, args: [...spec.args, "--env", "ORT_DISABLE_TELEMETRY=0"] }) };
}

/** A run with a writable root: what it writes outside its volumes and what its log says beyond its own info lines. */
async function writableRun(tag: string, spec: ContainerRun): Promise<{ strayWrites: string[]; noisyLines: string[] }> {
  const writable = await startContainer(tag, spec, { writable: true });
  try {
    await waitReady(writable, spec);
    await drainOnSigterm(writable, spec, "spam-classifier", 4);
    return { strayWrites: await writesOutside(writable.id, spec.writablePaths, PODMAN_MANAGED), noisyLines: noisyLogLines(await logs(writable.id)) };
  } finally {
    await remove(writable.id);
  }
}

/** Every failed check, in words; empty when the image is good. */
export function problems(check: ImageCheck): string[] {
  const found: string[] = [];
  const above = check.image.size - check.image.baseSize;
  if (above > CPU_APP_BUDGET_BYTES) found.push(`the image is ${(above / 1e6).toFixed(1)} MB above its base, over the ${CPU_APP_BUDGET_BYTES / 1e6} MB budget`);
  if (check.smoke.status !== 0) found.push(`npm run smoke failed (exit ${check.smoke.status}):\n${check.smoke.output}`);
  if (check.drain.exitCode !== 0) found.push(`SIGTERM: exit status ${check.drain.exitCode}, not 0`);
  const failed = Object.entries(check.drain.statuses).filter(([status]) => status !== "200" && status !== "503");
  if (failed.length > 0) found.push(`requests in flight at SIGTERM failed: ${JSON.stringify(check.drain.statuses)}`);
  if (check.noisyLines.length > 0) found.push(`the log has errors, warnings or foreign lines:\n${check.noisyLines.join("\n")}`);
  if (check.strayWrites.length > 0) found.push(`writes outside the declared volumes (${check.spec.writablePaths.join(", ")}): ${check.strayWrites.join(", ")}`);
  if (!check.telemetryOn.strayWrites.some((p) => p.includes("/.cache/"))) found.push("with telemetry on, podman diff saw no write under ~/.cache: the write check is blind");
  return found;
}
