// podman as this kind of machine needs it, in one place:
// - runc, not crun (podman's default): crun cannot start containers on cgroups in
//   hybrid mode ("cgroups in hybrid mode not supported");
// - rlimits within the machine's hard limits: podman's default root rlimits exceed
//   them, and every container then fails with "error setting rlimit".
// Root only: rootless podman needs subordinate uid ranges these machines lack.
import { spawn, spawnSync } from "node:child_process";

export const PODMAN_GLOBAL = ["--runtime", "runc"];
export const ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"];

/** Why the image harness cannot run here, or undefined when it can. */
export function podmanSkipReason(): string | undefined {
  for (const [tool, pkg] of [["podman", "podman"], ["runc", "runc"], ["debootstrap", "debootstrap"]] as const) {
    const probe = spawnSync(tool, ["--version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) return `${tool} is not installed (scripts/setup.sh as root, or apt-get install ${pkg})`;
  }
  if (process.getuid?.() !== 0) return "not root (the image harness runs podman and debootstrap as root)";
  return undefined;
}

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs podman to completion; with `echo` its output streams to stderr as it comes (long builds). */
export function podman(args: readonly string[], opts: { echo?: boolean; timeoutMs?: number; input?: string } = {}): Promise<Result> {
  return run("podman", [...PODMAN_GLOBAL, ...args], opts);
}

/** Runs a command, collecting its output; rejects only when it cannot start or times out. */
export function run(
  command: string,
  args: readonly string[],
  opts: { echo?: boolean; timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env, cwd: opts.cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
      if (opts.echo) process.stderr.write(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      if (opts.echo) process.stderr.write(d);
    });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`${command} ${args.join(" ")} did not finish within ${opts.timeoutMs} ms`));
        }, opts.timeoutMs)
      : undefined;
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status: status ?? 1, stdout, stderr });
    });
    // A child that exits before reading its input closes the pipe: the write then fails with
    // EPIPE, which, unheard, is an uncaught exception (seen in CI). Its exit status tells what happened.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** Like podman(), but a non-zero exit is an error naming the command and its output's tail. */
export async function podmanOk(args: readonly string[], opts: { echo?: boolean; timeoutMs?: number; input?: string } = {}): Promise<string> {
  const result = await podman(args, opts);
  if (result.status !== 0) {
    throw new Error(`podman ${args.join(" ")} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim().slice(-2000)}`);
  }
  return result.stdout;
}
