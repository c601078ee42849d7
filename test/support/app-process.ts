// The inference server as a real child process (app/src/main.ts under tsx), the way
// a pod runs it: its own onnxruntime, its own /metrics. Started on a free loopback
// port, stopped by PID by the test that started it; process exit kills leftovers.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../app/src/main.ts", import.meta.url));

export interface AppProcess {
  /** Base URL, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** host:port, as a scrape target. */
  readonly address: string;
  /** host:port of the gRPC door, when GRPC_PORT is set. */
  readonly grpcAddress?: string;
  /** SIGTERM and wait for exit. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts the server on `modelRepository` with `env` over test defaults; resolves once every model is loaded. */
export async function startAppProcess(modelRepository: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<AppProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: {
      PATH: process.env.PATH,
      HOST: "127.0.0.1",
      PORT: "0",
      MODEL_REPOSITORY: modelRepository,
      CACHE_ENABLED: "false",
      ORT_INTRA_OP_THREADS: "1",
      // One server process, as a one-CPU pod runs (WORKERS would otherwise follow this machine's CPUs).
      WORKERS: "1",
      SHUTDOWN_GRACE_MS: "1000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    running.delete(child);
  };
  const stderr: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));

  // The server logs one JSON line "listening" (with its url) and one once every model has loaded.
  const started = new Promise<{ url: string; grpcAddress?: string }>((resolve, reject) => {
    let url: string | undefined;
    let grpcAddress: string | undefined;
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        let entry: { msg?: string; url?: string; grpcAddress?: string };
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.msg === "listening") ({ url, grpcAddress } = entry);
        if (entry.msg === "all models loaded; ready" && url) resolve({ url, ...(grpcAddress ? { grpcAddress } : {}) });
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited ${code} before it was ready: ${stderr.join("").slice(-500)}`)));
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const { url, grpcAddress } = await Promise.race([
      started,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`server not ready within ${timeoutMs} ms: ${stderr.join("").slice(-500)}`)), timeoutMs);
      }),
    ]);
    return { url, address: new URL(url).host, ...(grpcAddress ? { grpcAddress } : {}), stop };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
