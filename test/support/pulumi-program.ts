// Test access to the Pulumi program under mocks (implementation: scripts/lib/mock-program.ts).
// Named stacks are run once per test process and shared by the specs in it.
import { readStackValues, runProgram, stackFile, type ProgramRun, type RecordedResource, type StackName, type StackSource } from "../../scripts/lib/mock-program.js";

export { readStackValues, STACKS, REPO_ROOT, MOCK_ACCOUNT, stackFile, transformedOptions, type ProgramRun, type RecordedResource, type StackName } from "../../scripts/lib/mock-program.js";

const runs = new Map<StackName, Promise<ProgramRun>>();
let queue: Promise<unknown> = Promise.resolve();

/** Runs the program for a stack (runs are serialised: the Pulumi runtime is process-global). */
export function runStack(source: StackSource): Promise<ProgramRun> {
  if (typeof source === "string") {
    const cached = runs.get(source);
    if (cached) return cached;
  }
  const run = queue.then(() => runProgram(source));
  queue = run.catch(() => undefined);
  if (typeof source === "string") runs.set(source, run);
  return run;
}

/** Resources of one type (token such as "kubernetes:apps/v1:Deployment"). */
export function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** The single resource of a type, failing when there is not exactly one. */
export function one(run: ProgramRun, type: string): RecordedResource {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`${run.stack}: expected one ${type}, found ${found.length}`);
  return found[0] as RecordedResource;
}

/** Kubernetes objects the program declares, built-in kinds and custom resources alike (Helm releases excluded). */
export function kubernetesObjects(run: ProgramRun): RecordedResource[] {
  return run.resources.filter(
    (r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/"),
  );
}

/** Helm releases the program declares. */
export function helmReleases(run: ProgramRun): RecordedResource[] {
  return ofType(run, "kubernetes:helm.sh/v3:Release");
}

/**
 * A named stack's config with some keys replaced (keys without namespace are ours;
 * an undefined value removes the key), as a source for runStack.
 */
export function stackWith(stack: StackName, changes: Record<string, unknown>): StackSource {
  const config: Record<string, unknown> = { ...readStackValues(stackFile(stack)) };
  for (const [k, v] of Object.entries(changes)) {
    const key = k.includes(":") ? k : `inference-platform:${k}`;
    if (v === undefined) delete config[key];
    else config[key] = v;
  }
  return { stack, config };
}

/** A named stack's value for one of our keys, as written in its file. */
export function stackValue(stack: StackName, key: string): any {
  return readStackValues(stackFile(stack))[`inference-platform:${key}`];
}
