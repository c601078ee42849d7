// The container the Deployment runs, as podman arguments: the same user, env,
// read-only root, writable volumes, capabilities, memory limit and probes, read
// from the stack's rendered Deployment (the Pulumi program under mocks), so that
// the image is tested as the cluster runs it, not as a hand-written copy says.
import { gibOf } from "../../infra/serving/quantity.js";
import { runProgram, type StackName } from "../lib/mock-program.js";

export interface Probe {
  path: string;
  periodSeconds: number;
  failureThreshold: number;
  timeoutSeconds: number;
}

export interface ContainerRun {
  /** podman run arguments (before the image name). */
  args: string[];
  /** The port the container serves on. */
  containerPort: number;
  /** Paths the pod declares writable (emptyDir mounts); a write anywhere else is a fault. */
  writablePaths: string[];
  /** Environment variables taken from Secrets or the API in the cluster, left out here. */
  leftOutEnv: string[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  /** terminationGracePeriodSeconds less the preStop sleep: what SIGTERM leaves the app. */
  stopTimeoutSeconds: number;
}

/** Translates a Deployment's pod template (one container) into a podman run. */
export function containerRun(podSpec: any, containerName: string): ContainerRun {
  const container = (podSpec.containers as any[]).find((c) => c.name === containerName);
  if (!container) throw new Error(`the Deployment has no container "${containerName}"`);
  const pod = podSpec.securityContext ?? {};
  const sc = { ...pod, ...(container.securityContext ?? {}) };
  const args: string[] = [];
  if (sc.runAsUser === undefined) throw new Error("the Deployment sets no runAsUser; the image test runs as the pod does");
  args.push("--user", `${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`);
  // podman's --read-only also mounts tmpfs on /tmp, /var/tmp and /run unless told not to; the pod gets only its volumes.
  if (sc.readOnlyRootFilesystem) args.push("--read-only", "--read-only-tmpfs=false");
  if (sc.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");
  for (const cap of sc.capabilities?.drop ?? []) args.push("--cap-drop", cap);

  const volumes = new Map<string, any>((podSpec.volumes ?? []).map((v: any) => [v.name, v]));
  const writablePaths: string[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume?.emptyDir) throw new Error(`volume "${mount.name}" is not an emptyDir; the image test knows how to stand in only for emptyDir`);
    const size = volume.emptyDir.sizeLimit ? `,size=${Math.round(gibOf(volume.emptyDir.sizeLimit) * 1024 ** 3)}` : "";
    // An emptyDir is writable by the pod's fsGroup; 1777 gives the same to the container's user.
    args.push("--tmpfs", `${mount.mountPath}:rw,mode=1777${size}`);
    writablePaths.push(mount.mountPath);
  }

  const leftOutEnv: string[] = [];
  for (const e of container.env ?? []) {
    if (e.value !== undefined) args.push("--env", `${e.name}=${e.value}`);
    else leftOutEnv.push(e.name);
  }
  const memory = container.resources?.limits?.memory;
  if (memory) args.push("--memory", String(Math.round(gibOf(memory) * 1024 ** 3)));

  const ports = new Map<string, number>((container.ports ?? []).map((p: any) => [p.name, p.containerPort]));
  const containerPort = container.ports?.[0]?.containerPort;
  if (!containerPort) throw new Error("the container declares no port");
  const probe = (p: any): Probe | undefined => {
    if (!p) return undefined;
    const port = typeof p.httpGet.port === "string" ? ports.get(p.httpGet.port) : p.httpGet.port;
    if (port !== containerPort) throw new Error(`probe ${p.httpGet.path} is on port ${p.httpGet.port}, not the served ${containerPort}`);
    // Kubernetes defaults: period 10 s, failureThreshold 3, timeout 1 s.
    return { path: p.httpGet.path, periodSeconds: p.periodSeconds ?? 10, failureThreshold: p.failureThreshold ?? 3, timeoutSeconds: p.timeoutSeconds ?? 1 };
  };
  const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
  return {
    args,
    containerPort,
    writablePaths,
    leftOutEnv,
    startupProbe: probe(container.startupProbe),
    readinessProbe: probe(container.readinessProbe),
    livenessProbe: probe(container.livenessProbe),
    stopTimeoutSeconds: (podSpec.terminationGracePeriodSeconds ?? 30) - preStop,
  };
}

/** The app Deployment's pod spec as a stack renders it. */
export async function deploymentPodSpec(stack: StackName): Promise<any> {
  const run = await runProgram(stack);
  const deployments = run.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.spec?.template?.spec?.containers?.some((c: any) => c.name === "server"));
  if (deployments.length !== 1) throw new Error(`stack ${stack}: expected one Deployment with a "server" container, found ${deployments.length}`);
  return deployments[0]!.inputs.spec.template.spec;
}
