// Command lines of `npm run smoke` and `npm run wait-ready`: parsed and validated before any request is sent.
import { durationOption, integerOption, stackArg, UsageError, type CommandSpec } from "../lib/cli-args.js";
import { defaultSmokeOptions, SMOKE_DEFAULTS, type SmokeOptions } from "./smoke.js";
import { smokeTokenVariable } from "./token.js";

export { UsageError };

export const SMOKE: CommandSpec = {
  command: "npm run smoke",
  usage: `usage: npm run smoke -- <endpoint-url> [options]
  --grpc HOST:PORT      also check ServerReady over gRPC there (the stack's grpcEndpoint output; TLS when
                        the endpoint is https)
  --stack NAME          the stack behind the endpoint: its token is ${smokeTokenVariable("<stack>")} (e.g. ${smokeTokenVariable("prod")})
  --wait-ready-s S      first wait up to S seconds for /v2/health/ready to answer 200 (a new load balancer's
                        DNS and targets take minutes; default 0: no wait, at most 3600)
  --model NAME          model to query (default ${SMOKE_DEFAULTS.model})
  --input NAME          its BYTES input (default ${SMOKE_DEFAULTS.inputName})
  --text TEXT           text for the inference
  --requests N          burst size, 0 skips the burst (default ${SMOKE_DEFAULTS.burstRequests}, at most 5000)
  --connections N       burst concurrency (default ${SMOKE_DEFAULTS.burstConnections}, at most 64)
  --max-p99-ms MS       latency budget of the burst (default ${SMOKE_DEFAULTS.maxP99Ms})
  --timeout-ms MS       per-request timeout (default ${SMOKE_DEFAULTS.timeoutMs})
  --report FILE         also write the JSON report to FILE
An https endpoint must present a certificate valid for its host name.
environment: SMOKE_TOKEN (without --stack) or ${smokeTokenVariable("<stack>")}: bearer token when the endpoint has auth on
exit status: 0 passed, 1 a check failed, 2 bad command line`,
  positionals: [1, 1],
  options: {
    grpc: { type: "string" },
    stack: { type: "string" },
    "wait-ready-s": { type: "string" },
    model: { type: "string" },
    input: { type: "string" },
    text: { type: "string" },
    requests: { type: "string" },
    connections: { type: "string" },
    "max-p99-ms": { type: "string" },
    "timeout-ms": { type: "string" },
    report: { type: "string" },
  },
};

export interface SmokeCommand {
  options: SmokeOptions;
  /** Seconds to wait for readiness before the checks (0: none). */
  waitReadyS: number;
  reportFile?: string;
}

/** `host:port` (a bracketed IPv6 address allowed) with a port 1-65535, as grpc-js takes a target. */
export function grpcEndpointArg(raw: string): string {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError(`--grpc must be host:port with a port 1-65535, got "${raw}"`);
  return raw;
}

/** The parsed values of SMOKE (see parseCommand) into what the smoke test runs. */
export function smokeCommand(values: Record<string, string | boolean | undefined>, positionals: string[], env: Record<string, string | undefined>): SmokeCommand {
  const str = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  const baseUrl = positionals[0]!;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`endpoint "${baseUrl}" is not a URL; expected http(s)://host[:port][/prefix]`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`endpoint "${baseUrl}" must be http or https`);
  const text = str("text") ?? SMOKE_DEFAULTS.text;
  if (text.length === 0) throw new UsageError("--text must not be empty");
  const stack = str("stack") === undefined ? undefined : stackArg("--stack", str("stack"));
  const report = str("report");
  const grpc = str("grpc");
  return {
    options: {
      ...defaultSmokeOptions(baseUrl, env, stack),
      ...(grpc === undefined ? {} : { grpcEndpoint: grpcEndpointArg(grpc) }),
      model: str("model") ?? SMOKE_DEFAULTS.model,
      inputName: str("input") ?? SMOKE_DEFAULTS.inputName,
      text,
      burstRequests: integerOption("requests", str("requests"), SMOKE_DEFAULTS.burstRequests, 0, 5000),
      burstConnections: integerOption("connections", str("connections"), SMOKE_DEFAULTS.burstConnections, 1, 64),
      maxP99Ms: integerOption("max-p99-ms", str("max-p99-ms"), SMOKE_DEFAULTS.maxP99Ms, 1, 600_000),
      timeoutMs: integerOption("timeout-ms", str("timeout-ms"), SMOKE_DEFAULTS.timeoutMs, 100, 600_000),
    },
    waitReadyS: integerOption("wait-ready-s", str("wait-ready-s"), 0, 0, 3600),
    ...(report ? { reportFile: report } : {}),
  };
}

export const WAIT_READY: CommandSpec = {
  command: "npm run wait-ready",
  usage: `usage: npm run wait-ready -- <stack> [--timeout 15m] [--interval 10s] | <stack> --resume
Waits until the stack is ready for its smoke test: the Deployment (or the canary's Rollout) rolled
out, every target of its NLB healthy (none still in initial health checks) and /v2/health/ready
answering 200 through the load balancer. A stack KEDA scaled to zero is woken once by pausing its
ScaledObject at one replica. Reads the stack's outputs (Pulumi CLI), kubectl and the AWS CLI.
  --timeout D    give up after D (default 15m)
  --interval D   pause between two looks (default 10s)
  --resume       lift the pause a wake left on the ScaledObject (after the smoke test); nothing when none
exit status: 0 ready (or resumed), 1 not ready by the deadline or the stack cannot be read, 2 bad command line`,
  positionals: [1, 1],
  options: {
    timeout: { type: "string" },
    interval: { type: "string" },
    resume: { type: "boolean" },
  },
};

export interface WaitReadyArgs {
  stack: string;
  timeoutSeconds: number;
  intervalSeconds: number;
  resume: boolean;
}

/** The parsed values of WAIT_READY. */
export function waitReadyArgs(values: Record<string, string | boolean | undefined>, positionals: string[]): WaitReadyArgs {
  const str = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  const resume = values.resume === true;
  if (resume && (str("timeout") !== undefined || str("interval") !== undefined)) throw new UsageError("--resume takes no --timeout or --interval");
  return {
    stack: stackArg("target", positionals[0]),
    timeoutSeconds: durationOption("timeout", str("timeout"), 900),
    intervalSeconds: durationOption("interval", str("interval"), 10),
    resume,
  };
}
