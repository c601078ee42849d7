// Runs the Pulumi program (infra/index.ts) in-process under pulumi.runtime.setMocks
// with one stack's configuration, and records every resource it registers with its
// inputs and options. One implementation serves the tests (test/support) and
// `npm run plan`. No Pulumi CLI, no credentials, no cloud: the mocks answer
// provider calls with realistic, deterministic values.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse as parseYaml } from "yaml";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PROJECT = "inference-platform";
export const STACKS = ["local", "dev", "staging", "prod"] as const;
export type StackName = (typeof STACKS)[number];

/** A stack file by name, a stack file by path, or config given inline (keys without namespace are ours). */
export type StackSource = StackName | { file: string; stack?: string } | { config: Record<string, unknown>; stack: string };

export interface RecordedOptions {
  protect: boolean;
  ignoreChanges: string[];
  dependsOn: string[];
  deleteBeforeReplace: boolean;
  retainOnDelete: boolean;
}

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** Parent URN ("" at the root). */
  parent: string;
  /** Custom resources are managed by a provider; components (and remote components) are not. */
  custom: boolean;
  /** Inputs as the provider would receive them (Outputs resolved). */
  inputs: Record<string, any>;
  /** State the mock answered with. */
  state: Record<string, any>;
  /** Paths ("stringData.url") of inputs the program marked secret; `inputs` holds their plain values. */
  secrets: string[];
  opts: RecordedOptions;
}

export interface ProgramRun {
  stack: string;
  config: Record<string, string>;
  resources: RecordedResource[];
  /** Stack outputs (values resolved) and the names of those that are secrets. */
  outputs: Record<string, unknown>;
  secretOutputs: string[];
  /**
   * The `transforms` option of each resource that has one, by URN. The engine runs them on the
   * resource and its descendants, including those a remote component (eks, awsx) registers, which
   * the mocks never see; the mock monitor runs none.
   */
  transforms: Map<string, pulumi.ResourceTransform[]>;
}

export const MOCK_ACCOUNT = "111122223333";
/** The organization a self-managed backend reports (what `organization/...` stack names use). */
const MOCK_ORGANIZATION = "organization";

/** Deterministic fake sha256 digest for a seed. */
function fakeDigest(seed: string): string {
  return `sha256:${createHash("sha256").update(seed).digest("hex")}`;
}

/** Stack file path for a stack name. */
export function stackFile(stack: StackName): string {
  return path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

/** A stack file's `config:` map as written ("ns:key" -> YAML value). */
export function readStackValues(file: string): Record<string, unknown> {
  const doc = (parseYaml(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  return doc.config ?? {};
}

/** Reads a stack file into Pulumi's flat config map ("ns:key" -> string, objects as JSON). */
export function readStackConfig(file: string): { config: Record<string, string>; secretKeys: string[] } {
  return flattenConfig(readStackValues(file));
}

/** Stack-file values (keys without namespace are ours) as Pulumi's flat config map and its secret keys. */
export function flattenConfig(values: Record<string, unknown>): { config: Record<string, string>; secretKeys: string[] } {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(values)) {
    const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
    if (isSecure(value)) {
      // Encrypted values cannot be read here; the program sees a placeholder marked secret.
      config[key] = "mock-secret-value";
      secretKeys.push(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { config, secretKeys };
}

function isSecure(v: unknown): boolean {
  return typeof v === "object" && v !== null && Object.keys(v).length === 1 && "secure" in v;
}

/** Fills metadata.name like the Kubernetes provider's auto-naming, so outputs are known. */
function withK8sName(name: string, inputs: Record<string, any>): Record<string, any> {
  if (!("metadata" in inputs) && !("apiVersion" in inputs)) return inputs;
  const metadata = { ...(inputs.metadata ?? {}) };
  metadata.name ??= `${name}-${createHash("sha1").update(name).digest("hex").slice(0, 8)}`;
  return { ...inputs, metadata };
}

function resourceState(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, any> {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${MOCK_ACCOUNT}:${resource}`;
  switch (type) {
    case "awsx:ec2:Vpc": {
      const azs = inputs.numberOfAvailabilityZones ?? 3;
      const ids = (kind: string) => Array.from({ length: azs }, (_, i) => `subnet-${kind}${i}`);
      return { ...inputs, vpcId: `vpc-${name}`, privateSubnetIds: ids("priv"), publicSubnetIds: ids("pub"), isolatedSubnetIds: [] };
    }
    case "eks:index:Cluster": {
      const clusterName = inputs.name ?? name;
      const kubeconfig = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: `https://${clusterName}.eks.${region}.amazonaws.com` } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: "aws" } }],
        "current-context": clusterName,
        users: [{ name: "aws", user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", clusterName] } } }],
      };
      return {
        ...inputs,
        kubeconfig,
        kubeconfigJson: JSON.stringify(kubeconfig),
        oidcProviderArn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/oidc.eks.${region}.amazonaws.com/id/MOCK`,
        oidcProviderUrl: `oidc.eks.${region}.amazonaws.com/id/MOCK`,
        oidcIssuer: `oidc.eks.${region}.amazonaws.com/id/MOCK`,
        clusterSecurityGroupId: "sg-cluster",
        nodeSecurityGroupId: "sg-node",
        autoModeNodeRoleName: `${clusterName}-auto-node`,
      };
    }
    case "aws:ecr/repository:Repository":
      return {
        ...inputs,
        arn: arn("ecr", `repository/${inputs.name ?? name}`),
        registryId: MOCK_ACCOUNT,
        repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${inputs.name ?? name}`,
      };
    case "docker-build:index:Image": {
      const digest = fakeDigest(JSON.stringify(inputs.tags ?? name));
      const tag = (inputs.tags as string[] | undefined)?.[0] ?? name;
      return { ...inputs, digest, ref: inputs.push ? `${tag}@${digest}` : tag, contextHash: digest.slice(7, 19) };
    }
    case "pulumi:pulumi:StackReference": {
      const below = String(inputs.name).split("/").pop() ?? "dev";
      const imageRef = `${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${PROJECT}-dev@${fakeDigest(`release-of-${below}`)}`;
      return { ...inputs, outputs: { imageRef, imageDigest: imageRef.split("@")[1] }, secretOutputNames: [] };
    }
    case "random:index/randomPassword:RandomPassword": {
      const length = Number(inputs.length ?? 16);
      return { ...inputs, result: createHash("sha256").update(name).digest("hex").repeat(4).slice(0, length) };
    }
    case "aws:elasticache/replicationGroup:ReplicationGroup":
      return {
        ...inputs,
        arn: arn("elasticache", `replicationgroup:${name}`),
        primaryEndpointAddress: `master.${name}.mock01.cache.amazonaws.com`,
        readerEndpointAddress: `replica.${name}.mock01.cache.amazonaws.com`,
      };
    case "kubernetes:core/v1:Service": {
      const state = withK8sName(name, inputs);
      if (inputs.spec?.type === "LoadBalancer") {
        state.status = { loadBalancer: { ingress: [{ hostname: `${name}-0123456789.elb.${region}.amazonaws.com` }] } };
      }
      return state;
    }
    default:
      if (type.startsWith("kubernetes:")) return withK8sName(name, inputs);
      if (type.startsWith("aws:")) return { ...inputs, arn: arn(type.split(/[:/]/)[1] ?? "aws", name) };
      return inputs;
  }
}

function callResult(token: string, inputs: Record<string, any>, region: string): Record<string, any> {
  switch (token) {
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return { names: ["a", "b", "c"].map((z) => `${region}${z}`), zoneIds: ["use1-az1", "use1-az2", "use1-az4"], state: "available" };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/ci`, userId: "AIDAMOCK" };
    case "aws:index/getRegion:getRegion":
      return { name: region, region, description: region };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com" };
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return { userName: "AWS", password: "mock-token", proxyEndpoint: `https://${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com`, authorizationToken: "bW9jaw==", expiresAt: "2099-01-01T00:00:00Z" };
    default:
      return inputs;
  }
}

/**
 * The options a descendant of `type` would get from a resource's recorded transforms, run in order
 * as the engine runs them (each sees the previous one's result). The program's transforms are
 * synchronous; an asynchronous one is refused rather than guessed at.
 */
export function transformedOptions(transforms: readonly pulumi.ResourceTransform[], type: string, opts: pulumi.ResourceOptions = {}): pulumi.ResourceOptions {
  let current: pulumi.ResourceTransformResult = { props: {}, opts };
  for (const transform of transforms) {
    const result = transform({ custom: true, type, name: "descendant", props: current.props, opts: current.opts });
    if (result instanceof Promise) throw new Error(`transformedOptions: an asynchronous transform (${type})`);
    current = result ?? current;
  }
  return current.opts;
}

/** Resolves any Input to its value (all values are known under mocks outside preview). */
function settle(value: unknown): Promise<unknown> {
  const output: pulumi.Output<unknown> = pulumi.output(value);
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Waits for the runtime's outstanding resource registrations (exported by the SDK's settings module). */
const waitForRPCs = async () => (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs?.();

/** Replaces secret-wrapped values by their plain values, noting where they were. */
function unwrapSecrets(value: any, at: string, found: string[]): any {
  if (pulumi.runtime.isRpcSecret(value)) {
    found.push(at);
    return unwrapSecrets(pulumi.runtime.unwrapRpcSecret(value), at, []);
  }
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${at}[${i}]`, found));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, at ? `${at}.${k}` : k, found)]));
  }
  return value;
}

type Rpc = (req: any, cb: (err: any, res: any) => void) => Promise<void> | void;

let runCount = 0;

/** A run whose mocks are installed: import the program (or let a loader do it), then `finish` with its exports. */
export interface PreparedRun {
  stack: string;
  /** Records what the program registered and exported; `exports` are the program's module exports (or a loader's stack outputs). */
  finish(exports: Record<string, unknown>): Promise<ProgramRun>;
  /** What had been registered so far (for reporting a failed program). */
  registered(): RecordedResource[];
}

/**
 * Installs the mocks and the stack's config for one run and records every registration from then
 * on. `runProgram` imports the program itself; a test of Pulumi's own loader (cmd/run) lets the
 * loader import it instead.
 */
export async function prepareRun(source: StackSource): Promise<PreparedRun> {
  const { stack, config, secretKeys } =
    typeof source === "string"
      ? { stack: source, ...readStackConfig(stackFile(source)) }
      : "file" in source
        ? { stack: source.stack ?? path.basename(source.file).replace(/^Pulumi\.|\.yaml$/g, ""), ...readStackConfig(source.file) }
        : { stack: source.stack, ...flattenConfig(source.config) };
  const region = config["aws:region"] ?? "us-east-1";
  const recorded = new Map<string, RecordedResource>();
  const transformsByUrn = new Map<string, pulumi.ResourceTransform[]>();
  // The mock monitor hands a registration's transforms to newResource only, which it calls
  // synchronously from registerResource; the wrapper below picks them up right after that call.
  let lastTransforms: pulumi.ResourceTransform[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        lastTransforms = args.transforms ?? [];
        const state = resourceState(args.type, args.name, args.inputs, region);
        return { id: args.custom ? `${args.name}-id` : undefined, state };
      },
      call: (args) => callResult(args.token, args.inputs, region),
    },
    PROJECT,
    stack,
    false,
    MOCK_ORGANIZATION,
  );
  pulumi.runtime.setAllConfig(config, secretKeys);

  // The mock monitor does not hand resource options to the mocks; read them off the request.
  const monitor = pulumi.runtime.getMonitor() as unknown as Record<"registerResource" | "readResource", Rpc>;
  const record = (req: any, res: any, read: boolean, transforms: pulumi.ResourceTransform[]) => {
    const urn: string = res.getUrn();
    const secrets: string[] = [];
    recorded.set(urn, {
      type: req.getType(),
      name: req.getName(),
      urn,
      parent: req.getParent(),
      custom: read || req.getCustom(),
      inputs: unwrapSecrets(pulumi.runtime.deserializeProperties(read ? req.getProperties() : req.getObject()), "", secrets),
      secrets,
      state: pulumi.runtime.deserializeProperties(read ? res.getProperties() : res.getObject()),
      opts: {
        protect: !read && req.getProtect() === true,
        ignoreChanges: read ? [] : req.getIgnorechangesList(),
        dependsOn: req.getDependenciesList(),
        deleteBeforeReplace: !read && req.getDeletebeforereplace(),
        retainOnDelete: !read && req.getRetainondelete() === true,
      },
    });
    if (transforms.length > 0) transformsByUrn.set(urn, transforms);
  };
  for (const method of ["registerResource", "readResource"] as const) {
    const original = monitor[method].bind(monitor);
    monitor[method] = (req, cb) => {
      lastTransforms = [];
      const seen = { transforms: [] as pulumi.ResourceTransform[] };
      const done = original(req, (err, res) => {
        if (!err && res) record(req, res, method === "readResource", seen.transforms);
        cb(err, res);
      });
      seen.transforms = lastTransforms;
      return done;
    };
  }

  return {
    stack,
    registered: () => [...recorded.values()],
    finish: async (exports) => {
      const outputs: Record<string, unknown> = {};
      const secretOutputs: string[] = [];
      for (const [k, v] of Object.entries(exports)) {
        outputs[k] = await settle(v);
        if (pulumi.Output.isInstance(v) && (await pulumi.isSecret(v))) secretOutputs.push(k);
      }
      await waitForRPCs();
      return { stack, config, resources: [...recorded.values()], outputs, secretOutputs, transforms: transformsByUrn };
    },
  };
}

/**
 * Runs the program once for a stack and returns what it registered and exported.
 * Runs are sequential by nature (the Pulumi runtime is process-global): await one
 * before starting the next.
 */
export async function runProgram(source: StackSource, entry = path.join(REPO_ROOT, "infra/index.ts")): Promise<ProgramRun> {
  const run = await prepareRun(source);
  const url = `${pathToFileURL(entry).href}?stack=${encodeURIComponent(run.stack)}&run=${++runCount}`;
  const mod = (await import(url).catch(async (err: unknown) => {
    // Say what had been registered when the program failed: a config error must come before any resource.
    await waitForRPCs();
    throw Object.assign(err as Error, { registeredBeforeFailure: run.registered() });
  })) as Record<string, unknown>;
  return run.finish(mod);
}
