// A content hash of the app's build context. ECR tags are immutable, so each
// distinct build needs a distinct tag; hashing what goes into the image gives the
// same tag for the same sources and a new one for any change.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** Directories that never enter the image (see app/.dockerignore). */
const SKIPPED = new Set(["node_modules", "dist", ".git", "bench"]);

/** First 12 hex digits of a SHA-256 over the sorted relative paths and contents under `dir`. */
export function contextHash(dir: string): string {
  const hash = createHash("sha256");
  const walk = (rel: string) => {
    const entries = readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.posix.join(rel, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED.has(e.name)) walk(p);
      } else if (e.isFile() && !e.name.endsWith(".log")) {
        hash.update(p).update("\0").update(readFileSync(path.join(dir, p))).update("\0");
      }
    }
  };
  walk("");
  return hash.digest("hex").slice(0, 12);
}
