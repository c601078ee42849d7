// A content hash of the image's build context. ECR tags are immutable, so each
// distinct build needs a distinct tag; hashing what goes into the image gives the
// same tag for the same sources and a new one for any change. What goes in is
// what the context's .dockerignore lets through: with an allow-list ("*" then
// "!path" lines) exactly those paths, otherwise everything but the usual clutter.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const CLUTTER = new Set(["node_modules", ".git", "dist"]);

/** Paths (relative to the context) that enter the image. */
export function contextPaths(contextDir: string): string[] {
  const ignoreFile = path.join(contextDir, ".dockerignore");
  const lines = existsSync(ignoreFile)
    ? readFileSync(ignoreFile, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    : [];
  if (lines[0] === "*" && lines.slice(1).every((l) => l.startsWith("!"))) {
    return lines.slice(1).map((l) => l.slice(1).replace(/^\/+|\/+$/g, "")).filter((p) => existsSync(path.join(contextDir, p)));
  }
  return readdirSync(contextDir).filter((name) => !CLUTTER.has(name));
}

/** First 12 hex digits of a SHA-256 over the sorted relative paths and contents entering the build. */
export function contextHash(contextDir: string): string {
  const files: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(contextDir, rel);
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs)) if (!CLUTTER.has(name)) walk(path.posix.join(rel, name));
    } else {
      files.push(rel);
    }
  };
  for (const p of contextPaths(contextDir)) walk(p);
  const hash = createHash("sha256");
  for (const rel of [...new Set(files)].sort()) hash.update(rel).update("\0").update(readFileSync(path.join(contextDir, rel))).update("\0");
  return hash.digest("hex").slice(0, 12);
}
