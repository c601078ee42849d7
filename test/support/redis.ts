// Starts a real Debian `redis-server` for a test: on a free loopback port, with
// no persistence, optionally with a password and/or TLS (certificates made by
// `openssl` in a temp dir). Every server is stopped by the test that started it,
// and killed at process exit as a last resort.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { freePort } from "../../scripts/lib/free-port.js";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisOptions {
  /** Sets `--requirepass`; clients must send it as the password of the default user. */
  password?: string;
  /** Serve TLS only (rediss://), with a CA and server certificate generated for 127.0.0.1. */
  tls?: boolean;
  /** An ACL user (as ElastiCache RBAC has) allowed only keys under `keys`; the default user is switched off. */
  user?: { name: string; password: string; keys: string };
}

export interface RedisServer {
  readonly port: number;
  /** redis:// or rediss:// URL including the user and password when they are set. */
  readonly url: string;
  /** PEM of the CA that signed the server certificate (TLS only). */
  readonly ca?: string;
  /** Graceful stop (SIGTERM) and wait for exit. Idempotent. */
  stop(): Promise<void>;
  /** Abrupt death (SIGKILL), as in a crashed or partitioned Redis. */
  kill(): Promise<void>;
  /** Freeze (SIGSTOP) / thaw (SIGCONT): connections stay open but nothing answers. */
  pause(): void;
  resume(): void;
  /** Starts the server again on the same port with the same options (empty data). */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Why the Redis specs cannot run here, or undefined when `redis-server` is installed. */
export function redisSkipReason(): string | undefined {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  return probe.status === 0 ? undefined : "redis-server is not installed (apt-get install redis-server)";
}

/** Why a TLS Redis cannot run here (no openssl, or a redis-server built without TLS), or undefined. */
export function redisTlsSkipReason(): string | undefined {
  const missing = redisSkipReason();
  if (missing) return missing;
  if (spawnSync("openssl", ["version"]).status !== 0) return "openssl is not installed";
  // A TLS-capable build complains about the missing certificate; one without TLS about the directive.
  const probe = spawnSync("redis-server", ["--port", "0", "--tls-port", "1", "--save", ""], {
    encoding: "utf8",
    timeout: 5000,
  });
  const output = `${probe.stdout}${probe.stderr}`;
  return /tls-cert-file/i.test(output) ? undefined : `redis-server has no TLS support: ${output.trim().slice(-200)}`;
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "redis-test-"));
  const tlsFiles = options.tls ? makeCertificates(dir) : undefined;
  const port = await freePort();
  const args = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", ""];
  if (tlsFiles) {
    args.push("--port", "0", "--tls-port", String(port), "--tls-cert-file", tlsFiles.cert, "--tls-key-file", tlsFiles.key);
    args.push("--tls-ca-cert-file", tlsFiles.ca, "--tls-auth-clients", "no");
  } else {
    args.push("--port", String(port));
  }
  if (options.password) args.push("--requirepass", options.password);
  if (options.user) {
    const { name, password, keys } = options.user;
    args.push("--user", name, "on", `>${password}`, `~${keys}`, "+@all", "--user", "default", "off");
  }

  let child = await launch(args);
  const auth = options.user
    ? `${encodeURIComponent(options.user.name)}:${encodeURIComponent(options.user.password)}@`
    : options.password
      ? `:${encodeURIComponent(options.password)}@`
      : "";
  const stopChild = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGCONT");
    child.kill(signal);
    await exited;
  };
  return {
    port,
    url: `${tlsFiles ? "rediss" : "redis"}://${auth}127.0.0.1:${port}`,
    ca: tlsFiles ? readFileSync(tlsFiles.ca, "utf8") : undefined,
    async stop() {
      await stopChild("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => stopChild("SIGKILL"),
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    async restart() {
      await stopChild("SIGKILL");
      child = await launch(args);
    },
  };
}

/** Spawns redis-server and resolves once it logs that it accepts connections. */
function launch(args: string[]): Promise<ChildProcess> {
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not become ready within 10 s:\n${log}`));
    }, 10_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${log}`));
    });
  });
}


/** A throwaway CA and a server certificate for 127.0.0.1 / localhost, as PEM files in `dir`. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => {
    const result = spawnSync("openssl", args, { encoding: "utf8", cwd: dir });
    if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
  };
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.crt"),
    "-days", "1", "-subj", "/CN=inference-test-ca");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"),
    "-subj", "/CN=127.0.0.1");
  openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
    "-CAcreateserial", "-out", path("server.crt"), "-days", "1",
    "-extfile", writeExt(dir));
  return { ca: path("ca.crt"), cert: path("server.crt"), key: path("server.key") };
}

function writeExt(dir: string): string {
  const file = join(dir, "san.ext");
  writeFileSync(file, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  return file;
}
