// Does a registry still hold an image digest? Promotion and rollback ask before deploying one,
// because a digest expired by an ECR lifecycle rule would leave pods in ImagePullBackOff.
import { execFile } from "node:child_process";
import { isDigest, ReleaseError } from "../../infra/delivery/release-history.js";

export interface ImageRef {
  /** Registry host (with port), e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com or localhost:5000. */
  registry: string;
  /** Repository path inside the registry. */
  repository: string;
  digest: string;
}

/** Splits `<registry>/<repository>@sha256:<hex>`; a reference without a registry host or digest is refused. */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.lastIndexOf("@");
  const digest = at < 0 ? "" : ref.slice(at + 1);
  if (!isDigest(digest)) {
    throw new ReleaseError(`image reference "${ref}" is not pinned by digest; expected <registry>/<repository>@sha256:<64 hex>`);
  }
  const name = ref.slice(0, at).replace(/:[^/:]+$/, ""); // a tag beside the digest is ignored, as docker does
  const slash = name.indexOf("/");
  const registry = slash < 0 ? "" : name.slice(0, slash);
  if (!registry.includes(".") && !registry.includes(":") && registry !== "localhost") {
    throw new ReleaseError(`image reference "${ref}" names no registry host; expected <registry>/<repository>@sha256:<64 hex>`);
  }
  return { registry, repository: name.slice(slash + 1), digest };
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** Account and region of an ECR registry host, or undefined for any other registry. */
export function ecrRegistry(registry: string): { accountId: string; region: string } | undefined {
  const m = ECR_HOST.exec(registry);
  return m ? { accountId: m[1]!, region: m[2]! } : undefined;
}

/** Arguments of `aws ecr describe-images` that ask for exactly one digest. */
export function ecrDescribeImagesArgs(image: ImageRef): string[] {
  const ecr = ecrRegistry(image.registry);
  if (!ecr) throw new ReleaseError(`${image.registry} is not an ECR registry`);
  return [
    "ecr", "describe-images",
    "--registry-id", ecr.accountId,
    "--region", ecr.region,
    "--repository-name", image.repository,
    "--image-ids", `imageDigest=${image.digest}`,
    "--output", "json",
  ];
}

/** Reads the outcome of `aws ecr describe-images`: found, not found, or an error worth reporting. */
export function interpretEcrDescribe(exitCode: number, stderr: string): boolean {
  if (exitCode === 0) return true;
  if (/ImageNotFoundException|RepositoryNotFoundException/.test(stderr)) return false;
  throw new ReleaseError(`aws ecr describe-images failed (exit ${exitCode}): ${stderr.trim() || "no message"}`);
}

// Every manifest media type a digest may name: single-arch or multi-arch, OCI or Docker.
const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** URL of the OCI distribution manifest endpoint; plain http only for loopback registries. */
export function manifestUrl(image: ImageRef): string {
  const host = image.registry.replace(/:\d+$/, "");
  const scheme = host === "localhost" || host.startsWith("127.") || host === "[::1]" ? "http" : "https";
  return `${scheme}://${image.registry}/v2/${image.repository}/manifests/${image.digest}`;
}

/** Asks an OCI distribution registry (HEAD manifest) whether it holds the digest. */
export async function ociHasManifest(image: ImageRef, fetchImpl: typeof fetch = fetch): Promise<boolean> {
  const url = manifestUrl(image);
  let res: Response;
  try {
    res = await fetchImpl(url, { method: "HEAD", headers: { accept: MANIFEST_TYPES }, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new ReleaseError(`cannot reach the registry at ${url}: ${(err as Error).message}`);
  }
  if (res.ok) return true;
  if (res.status === 404) return false;
  throw new ReleaseError(`registry answered ${res.status} for ${url}; cannot tell whether ${image.digest} exists`);
}

/** Whether the registry that `ref` names holds its digest: ECR through the AWS CLI's credentials, others over the OCI API. */
export async function imageExists(ref: string): Promise<boolean> {
  const image = parseImageRef(ref);
  if (!ecrRegistry(image.registry)) return ociHasManifest(image);
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile("aws", ecrDescribeImagesArgs(image), { timeout: 60_000 }, (error, _stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stderr: error && typeof error.code === "string" ? `${error.message}\n${stderr}` : stderr });
    });
  });
  return interpretEcrDescribe(code, stderr);
}
