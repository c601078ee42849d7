// Runs a built image as the Deployment runs it and checks what only a real run
// shows: time to ready, the smoke test, the SIGTERM drain, writes outside the
// declared volumes, and a quiet log.
import { freePort } from "../lib/free-port.js";
import { podman, podmanOk, run, ULIMITS } from "./podman.js";
import type { ContainerRun } from "./deployment.js";

export interface Started {
  id: string;
  url: string;
  /** Date.now() when podman started the container. */
  startedAt: number;
}

/** Starts the image detached with the Deployment's settings; `writable` drops only the read-only root (for `podman diff`). */
export async function startContainer(image: string, spec: ContainerRun, opts: { writable?: boolean } = {}): Promise<Started> {
  const args = opts.writable ? spec.args.filter((a) => a !== "--read-only" && a !== "--read-only-tmpfs=false") : spec.args;
  const port = await freePort();
  const startedAt = Date.now();
  const id = (await podmanOk(["run", "-d", ...ULIMITS, ...args, "-p", `127.0.0.1:${port}:${spec.containerPort}`, image], { timeoutMs: 120_000 })).trim();
  return { id, url: `http://127.0.0.1:${port}`, startedAt };
}

async function answers(url: string, timeoutMs: number): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

async function running(id: string): Promise<boolean> {
  return (await podman(["inspect", "--format", "{{.State.Running}}", id])).stdout.trim() === "true";
}

/**
 * Waits as the kubelet would let it (startup probe: failureThreshold × period, then
 * readiness), polling every 100 ms to measure; returns seconds from container start to ready.
 */
export async function waitReady(started: Started, spec: ContainerRun): Promise<number> {
  const startup = spec.startupProbe;
  const budgetMs = (startup ? startup.failureThreshold * startup.periodSeconds : 60) * 1000;
  const ready = spec.readinessProbe ?? startup;
  if (!ready) throw new Error("the Deployment has no readiness or startup probe");
  while (Date.now() - started.startedAt < budgetMs) {
    if (startup && (await answers(started.url + startup.path, startup.timeoutSeconds * 1000)) === 200 &&
        (await answers(started.url + ready.path, ready.timeoutSeconds * 1000)) === 200) {
      return (Date.now() - started.startedAt) / 1000;
    }
    if (!(await running(started.id))) throw new Error(`the container exited before it was ready: ${await logs(started.id)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within the startup probe's ${budgetMs / 1000} s: ${await logs(started.id)}`);
}

export async function logs(id: string): Promise<string> {
  const result = await podman(["logs", id]);
  return `${result.stdout}${result.stderr}`;
}

/** `npm run smoke -- <url>`, as the promotion gate runs it; resolves with its exit status and output. */
export async function smoke(url: string, repoRoot: string): Promise<{ status: number; output: string }> {
  const result = await run("npm", ["run", "--silent", "smoke", "--", url], { cwd: repoRoot, timeoutMs: 180_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface Drain {
  exitCode: number;
  /** Responses to the requests in flight when SIGTERM came, by status ("error" when the connection failed). */
  statuses: Record<string, number>;
  seconds: number;
}

const INFER = {
  inputs: [{ name: "text", shape: [1], datatype: "BYTES", data: ["Win a free prize now! Click here to claim your cash"] }],
};

/** Sends `inFlight` inferences, SIGTERM once they are sent, and waits for the exit within the grace the pod leaves. */
export async function drainOnSigterm(started: Started, spec: ContainerRun, model: string, inFlight = 32): Promise<Drain> {
  const requests = Array.from({ length: inFlight }, async () => {
    try {
      const res = await fetch(`${started.url}/v2/models/${model}/infer`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(INFER),
        signal: AbortSignal.timeout(spec.stopTimeoutSeconds * 1000),
      });
      await res.arrayBuffer();
      return String(res.status);
    } catch {
      return "error";
    }
  });
  // Give the requests a moment to be on the wire before the signal, as a rolling update would find them.
  await new Promise((r) => setTimeout(r, 20));
  const signalled = Date.now();
  await podmanOk(["kill", "--signal", "TERM", started.id]);
  const statuses: Record<string, number> = {};
  for (const status of await Promise.all(requests)) statuses[status] = (statuses[status] ?? 0) + 1;
  const waited = await podman(["wait", started.id], { timeoutMs: (spec.stopTimeoutSeconds + 10) * 1000 });
  return { exitCode: Number(waited.stdout.trim()), statuses, seconds: (Date.now() - signalled) / 1000 };
}

/** Paths the container changed on its root filesystem (podman diff) that are neither under a volume nor one of `exact`. */
export async function writesOutside(id: string, volumes: readonly string[], exact: readonly string[]): Promise<string[]> {
  const out = await podmanOk(["diff", id]);
  return out
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => line.replace(/^[ACD]\s+/, ""))
    .filter((p) => !exact.includes(p) && !volumes.some((v) => p === v || p.startsWith(`${v}/`)));
}

/** Log lines that are not the app's own JSON at info level or below: errors, warnings, and foreign output (e.g. native libraries). */
export function noisyLogLines(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .filter((line) => {
      try {
        const entry = JSON.parse(line) as { level?: number };
        return typeof entry.level !== "number" || entry.level >= 40;
      } catch {
        return true;
      }
    });
}

export async function remove(id: string): Promise<void> {
  await podman(["rm", "-f", "-t", "0", id], { timeoutMs: 60_000 });
}
