// Where the workplace's shared data (Helm chart defaults, CRDs) lies: beside the
// repository as ../shared, in a developer's checkout and in CI alike.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The shared data directory, or undefined when this checkout has none (tests then skip). */
export function sharedDir(...parts: string[]): string | undefined {
  const dir = path.join(process.env.SHARED_DIR ?? path.resolve(repoRoot, "../shared"), ...parts);
  return existsSync(dir) ? dir : undefined;
}
