// What an interrupted update left behind: the pending operations recorded in a stack's state
// (`pulumi stack export`, deployment.pending_operations). A pending create may have made a cloud
// resource the state does not know: after `--clear-pending-creates` drops it, look for it by hand
// and `pulumi import` it if it exists (https://www.pulumi.com/docs/iac/operations/troubleshooting/interrupted-updates/).

export interface PendingOperation {
  urn: string;
  type: string;
  /** creating, updating, deleting, reading. */
  operation: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The pending operations in an exported stack (`{version, deployment: {pending_operations}}`). */
export function pendingOperations(exported: unknown): PendingOperation[] {
  const deployment = isObj(exported) && isObj(exported.deployment) ? exported.deployment : undefined;
  const ops = deployment && Array.isArray(deployment.pending_operations) ? deployment.pending_operations : [];
  return ops.filter(isObj).map((op) => {
    const resource = isObj(op.resource) ? op.resource : {};
    return { urn: String(resource.urn ?? "?"), type: String(resource.type ?? "?"), operation: String(op.type ?? "?") };
  });
}

/** What to tell the operator about each pending operation once the refresh has run. */
export function recoveryAdvice(ops: readonly PendingOperation[]): string[] {
  if (ops.length === 0) return ["no operation was pending; the refresh brought the state in line with the cloud"];
  return ops.map((op) =>
    op.operation === "creating"
      ? `${op.urn}: was being created; its entry is gone from the state. If it exists in the cloud, import it (pulumi import ${op.type} <name> <id>) or delete it, then run the update again`
      : `${op.urn}: was ${op.operation}; the refresh read its real state`,
  );
}
