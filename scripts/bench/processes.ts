// The processes a benchmark measures: the compiled inference server (what the
// image runs: node dist/main.js) and a bare Express endpoint, each in its own
// process on a free loopback port, with ready time and peak RSS.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { freePort } from "../lib/free-port.js";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SERVER_NODE_OPTIONS } from "../image/node-options.js";
import { peakRssBytes } from "./report.js";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Compiles the app with its build tsconfig into `dir`/app/dist, beside a copy of
 * app/package.json and a link to the workspace's node_modules, so the server
 * runs from compiled JS as in the image, without writing into the repository.
 * Returns the path of main.js.
 */
export function compileApp(dir: string): string {
  const appDir = path.join(dir, "app");
  mkdirSync(appDir, { recursive: true });
  const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
  const build = spawnSync(process.execPath, [tsc, "-p", path.join(REPO_ROOT, "app/tsconfig.build.json"), "--outDir", path.join(appDir, "dist")], {
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`compiling the app failed:\n${build.stdout}${build.stderr}`);
  copyFileSync(path.join(REPO_ROOT, "app/package.json"), path.join(appDir, "package.json"));
  // The gRPC service definition, which dist/grpc/proto.js reads from ../../proto, as in the image.
  cpSync(path.join(REPO_ROOT, "app/proto"), path.join(appDir, "proto"), { recursive: true });
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return path.join(appDir, "dist", "main.js");
}


export interface BenchProcess {
  readonly url: string;
  /** Milliseconds from spawn to the first 200 from the readiness URL. */
  readonly readyMs: number;
  /** Peak resident set size so far (VmHWM) of the process it started. */
  peakRss(): number;
  /** That process and its children (WORKERS > 1), each with its peak RSS. */
  processes(): { pid: number; peakRss: number }[];
  stop(): Promise<void>;
}

/** A process and every descendant, each with its peak RSS (Linux /proc). */
function processTree(pid: number): { pid: number; peakRss: number }[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  return [{ pid, peakRss: peakRssBytes(readFileSync(`/proc/${pid}/status`, "utf8")) }, ...children.flatMap(processTree)];
}

/** Spawns `args` with `env`, then polls `readyPath` every 5 ms until it answers 200 (at most 180 s: a loaded host starts slowly). */
async function spawnAndWait(args: string[], env: Record<string, string>, port: number, readyPath: string): Promise<BenchProcess> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    // The image's Node flags for both the server and its baselines; a caller's env may override them.
    env: { ...process.env, NODE_OPTIONS: SERVER_NODE_OPTIONS, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(" ")} exited with ${child.exitCode} before it was ready:\n${stderr}`);
    if (performance.now() - started > 180_000) {
      child.kill("SIGKILL");
      throw new Error(`${args.join(" ")} was not ready within 180 s:\n${stderr}`);
    }
    const ok = await fetch(url + readyPath).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const readyMs = performance.now() - started;
  return {
    url,
    readyMs,
    peakRss: () => peakRssBytes(readFileSync(`/proc/${child.pid}/status`, "utf8")),
    processes: () => processTree(child.pid!),
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The compiled server (`main` from compileApp) with extra environment settings and node flags (e.g. --cpu-prof). */
export async function startServerProcess(main: string, env: Record<string, string>, nodeArgs: readonly string[] = []): Promise<BenchProcess> {
  // No drain window: nothing routes to a benchmark server after stop(), which would otherwise wait DRAIN_WINDOW_MS.
  return spawnAndWait([...nodeArgs, main], { LOG_LEVEL: "warn", DRAIN_WINDOW_MS: "0", ...env }, await freePort(), "/v2/health/ready");
}

/** A bare Express endpoint that parses the same JSON body and answers a fixed JSON body: the HTTP ceiling. */
export async function startBareProcess(responseBody: string): Promise<BenchProcess> {
  const script = path.join(REPO_ROOT, "scripts/bench/bare-server.ts");
  return spawnAndWait(["--import", "tsx", script], { BARE_RESPONSE: responseBody }, await freePort(), "/ready");
}
