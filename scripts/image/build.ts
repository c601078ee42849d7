// Builds app/Dockerfile with podman on the stand-in base, the way CI does, and
// reports the image's size per layer.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { podmanOk, run, ULIMITS } from "./podman.js";
import { dockerfileBaseImage, ensureStandInBase, toolchain, type BaseImage } from "./stand-in-base.js";

export interface Layer {
  /** Bytes the layer adds (uncompressed, as `podman history` reports). */
  size: number;
  createdBy: string;
}

export interface BuiltImage {
  tag: string;
  base: BaseImage;
  /** Seconds spent making the stand-in base (0 when it was cached). */
  baseSeconds: number;
  buildSeconds: number;
  /** Whole image and base, bytes (uncompressed). */
  size: number;
  baseSize: number;
  /** The layers above the base, oldest first. */
  appLayers: Layer[];
}

/** npm's registry and CA of this machine, as an npmrc for the build's RUN steps only. */
async function buildNpmrc(repoRoot: string, dir: string): Promise<{ volumes: string[] }> {
  const get = async (key: string) => (await run("npm", ["config", "get", key], { cwd: repoRoot })).stdout.trim();
  const registry = await get("registry");
  // npm's own cafile setting, else the extra CAs Node itself trusts (how npm reaches the registry here either way).
  const npmCafile = await get("cafile");
  const cafile = npmCafile && npmCafile !== "null" && npmCafile !== "undefined" ? npmCafile : process.env.NODE_EXTRA_CA_CERTS;
  const lines = [`registry=${registry}`];
  const volumes: string[] = [];
  if (cafile) {
    // Mounted beside the npmrc; neither is committed into any layer (podman build -v mounts per RUN).
    volumes.push("-v", `${cafile}:/run/npm-build/ca.crt:ro`);
    lines.push("cafile=/run/npm-build/ca.crt");
  }
  const npmrc = path.join(dir, "npmrc");
  writeFileSync(npmrc, `${lines.join("\n")}\n`);
  volumes.push("-v", `${npmrc}:/root/.npmrc:ro`);
  return { volumes };
}

/** Layers of an image, oldest first. */
export async function imageLayers(ref: string): Promise<Layer[]> {
  const history = JSON.parse(await podmanOk(["history", "--format", "json", "--no-trunc", ref])) as { size: number; CreatedBy?: string; createdBy?: string }[];
  return history.reverse().map((h) => ({ size: h.size, createdBy: (h.createdBy ?? h.CreatedBy ?? "").replace(/\s+/g, " ").trim() }));
}

export async function imageSize(ref: string): Promise<number> {
  return Number((await podmanOk(["image", "inspect", "--format", "{{.Size}}", ref])).trim());
}

/** Builds the stand-in base when needed, then the Dockerfile (network host, --pull=never). */
export async function buildImage(opts: { repoRoot: string; dockerfile: string; tag: string; log: (line: string) => void }): Promise<BuiltImage> {
  const dockerfileText = readFileSync(path.join(opts.repoRoot, opts.dockerfile), "utf8");
  const base = dockerfileBaseImage(dockerfileText);
  const pinned = toolchain(readFileSync(path.join(opts.repoRoot, "scripts/toolchain.env"), "utf8"));
  if (base.nodeVersion !== pinned.nodeVersion) {
    throw new Error(`${opts.dockerfile} builds on Node ${base.nodeVersion} but scripts/toolchain.env pins ${pinned.nodeVersion}`);
  }
  const standIn = await ensureStandInBase(base, pinned.npmVersion, opts.log);
  opts.log(standIn.built ? `stand-in base built in ${standIn.seconds.toFixed(0)} s` : `stand-in base ${base.ref} cached`);

  const dir = mkdtempSync(path.join(tmpdir(), "image-build-"));
  try {
    const { volumes } = await buildNpmrc(opts.repoRoot, dir);
    const started = Date.now();
    await podmanOk(
      ["build", "--format", "docker", "--pull=never", "--network", "host", ...ULIMITS, ...volumes, "-f", opts.dockerfile, "-t", opts.tag, "."],
      { echo: process.env.IMAGE_BUILD_VERBOSE === "1", timeoutMs: 900_000 },
    ).catch((err: Error) => {
      throw new Error(`building ${opts.dockerfile}: ${err.message}`);
    });
    const buildSeconds = (Date.now() - started) / 1000;
    const [size, baseSize, layers, baseLayers] = await Promise.all([imageSize(opts.tag), imageSize(base.ref), imageLayers(opts.tag), imageLayers(base.ref)]);
    return { tag: opts.tag, base, baseSeconds: standIn.seconds, buildSeconds, size, baseSize, appLayers: layers.slice(baseLayers.length) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The size report: base, each layer above it, total. */
export function sizeReport(image: BuiltImage): string {
  const rows = [`${megabytes(image.baseSize).padStart(10)}  base ${image.base.ref}`];
  for (const layer of image.appLayers) rows.push(`${megabytes(layer.size).padStart(10)}  ${layer.createdBy.slice(0, 110)}`);
  rows.push(`${megabytes(image.size).padStart(10)}  total ${image.tag} (${megabytes(image.size - image.baseSize)} above the base)`);
  return rows.join("\n");
}
