// kubectl arguments for a stack's cluster: its `kubeconfig` output written to a private temporary
// file (the EKS kubeconfig runs `aws eks get-token`), or none for the local stack, which uses the
// current context.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface KubectlAccess {
  /** kubectl arguments that select the stack's cluster. */
  kubectlArgs: string[];
  /** Removes the temporary kubeconfig. */
  close(): void;
}

export function kubectlAccess(kubeconfig: unknown, prefix: string): KubectlAccess {
  if (kubeconfig === undefined) return { kubectlArgs: [], close: () => undefined };
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const file = path.join(dir, "kubeconfig");
  writeFileSync(file, typeof kubeconfig === "string" ? kubeconfig : JSON.stringify(kubeconfig), { mode: 0o600 });
  return { kubectlArgs: ["--kubeconfig", file], close: () => rmSync(dir, { recursive: true, force: true }) };
}
