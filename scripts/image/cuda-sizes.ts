// Where the bytes of a CUDA image go, from Debian's package lists (Installed-Size
// and compressed Size of NVIDIA's CUDA 12 libraries as Debian repackages them in
// non-free/contrib): which of them onnxruntime's CUDA provider links, which it or
// cuDNN loads on demand, and which a full CUDA runtime image carries for nothing.
//   node --import tsx scripts/image/cuda-sizes.ts     (reads the machine's Debian mirror)
import { spawnSync } from "node:child_process";
import { debianMirror, machineAptSources } from "./stand-in-base.js";

export type Role = "linked" | "on demand" | "unused";

/** Debian packages of the CUDA runtime libraries, and what ORT's CUDA provider does with each. */
export const CUDA_PACKAGES: { pkg: string; library: string; role: Role }[] = [
  // DT_NEEDED of libonnxruntime_providers_cuda.so (ORT 1.29): cudart, cublas, cublasLt, curand (+ the driver's libcuda).
  { pkg: "libcudart12", library: "libcudart.so.12", role: "linked" },
  { pkg: "libcublas12", library: "libcublas.so.12", role: "linked" },
  { pkg: "libcublaslt12", library: "libcublasLt.so.12", role: "linked" },
  { pkg: "libcurand10", library: "libcurand.so.10", role: "linked" },
  // dlopen()ed: NVRTC by cuDNN's runtime-compiled engines (and the provider's fused kernels).
  { pkg: "libnvrtc12", library: "libnvrtc.so.12", role: "on demand" },
  { pkg: "libnvrtc-builtins12.4", library: "libnvrtc-builtins.so.12.4", role: "on demand" },
  // In nvidia/cuda *-runtime images, not needed by the provider.
  { pkg: "libcufft11", library: "libcufft.so.11", role: "unused" },
  { pkg: "libcusparse12", library: "libcusparse.so.12", role: "unused" },
  { pkg: "libcusolver11", library: "libcusolver.so.11", role: "unused" },
  { pkg: "libnvjitlink12", library: "libnvJitLink.so.12", role: "unused" },
  { pkg: "libnvjpeg12", library: "libnvjpeg.so.12", role: "unused" },
  { pkg: "libnppc12", library: "libnpp*.so.12 (11 packages)", role: "unused" },
  { pkg: "libnccl2", library: "libnccl.so.2", role: "unused" },
];
const NPP = ["libnppial12", "libnppicc12", "libnppidei12", "libnppif12", "libnppig12", "libnppim12", "libnppist12", "libnppisu12", "libnppitc12", "libnpps12"];

export interface PackageSize {
  version: string;
  /** Bytes on disk once installed (Installed-Size is in KiB). */
  installed: number;
  /** Bytes of the compressed .deb: about what a registry layer of the same files weighs. */
  compressed: number;
}

/** Package stanzas of a Debian Packages index, by name. */
export function parsePackages(text: string): Map<string, PackageSize> {
  const sizes = new Map<string, PackageSize>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(stanza)?.[1]?.trim();
    const pkg = field("Package");
    const installed = Number(field("Installed-Size"));
    const compressed = Number(field("Size"));
    if (pkg && Number.isFinite(installed) && Number.isFinite(compressed)) {
      sizes.set(pkg, { version: field("Version") ?? "?", installed: installed * 1024, compressed });
    }
  }
  return sizes;
}

export interface RoleTotal {
  role: Role;
  installed: number;
  compressed: number;
}

/** The CUDA library table with sizes, and the totals per role; a package missing from the index is an error naming it. */
export function cudaSizes(index: Map<string, PackageSize>): { rows: { pkg: string; library: string; role: Role; size: PackageSize }[]; totals: RoleTotal[] } {
  const get = (pkg: string): PackageSize => {
    const size = index.get(pkg);
    if (!size) throw new Error(`package ${pkg} is not in the package index`);
    return size;
  };
  const rows = CUDA_PACKAGES.map(({ pkg, library, role }) => {
    const size = pkg === "libnppc12"
      ? [pkg, ...NPP].map(get).reduce((a, b) => ({ version: a.version, installed: a.installed + b.installed, compressed: a.compressed + b.compressed }))
      : get(pkg);
    return { pkg, library, role, size };
  });
  const totals = (["linked", "on demand", "unused"] as Role[]).map((role) => ({
    role,
    installed: rows.filter((r) => r.role === role).reduce((s, r) => s + r.size.installed, 0),
    compressed: rows.filter((r) => r.role === role).reduce((s, r) => s + r.size.compressed, 0),
  }));
  return { rows, totals };
}

function fetchIndex(mirror: string, suite: string, component: string): string {
  const url = `${mirror.replace(/\/$/, "")}/dists/${suite}/${component}/binary-amd64/Packages.xz`;
  const got = spawnSync("sh", ["-c", `curl -fsS --max-time 120 "$0" | xz -dc`, url], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (got.status !== 0) throw new Error(`could not read ${url}: ${got.stderr.trim()}`);
  return got.stdout;
}

if (process.argv[1]?.endsWith("cuda-sizes.ts")) {
  const suite = process.argv[2] ?? "trixie";
  const mirror = debianMirror(machineAptSources(), "bookworm") ?? debianMirror(machineAptSources(), suite);
  if (!mirror) throw new Error("no Debian mirror in this machine's apt sources");
  const index = parsePackages(`${fetchIndex(mirror, suite, "non-free")}\n\n${fetchIndex(mirror, suite, "contrib")}`);
  const { rows, totals } = cudaSizes(index);
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`.padStart(10);
  console.log(`CUDA libraries in Debian ${suite} (package lists of ${mirror}), installed / compressed:`);
  for (const r of rows) console.log(`${mb(r.size.installed)} ${mb(r.size.compressed)}  ${r.role.padEnd(9)}  ${r.library} (${r.pkg} ${r.size.version})`);
  for (const t of totals) console.log(`${mb(t.installed)} ${mb(t.compressed)}  total ${t.role}`);
}
