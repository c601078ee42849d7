// Command line of `npm run smoke`: parsed and validated before any request is sent.
import { parseArgs } from "node:util";
import { defaultSmokeOptions, SMOKE_DEFAULTS, type SmokeOptions } from "./smoke.js";

export const SMOKE_USAGE = `usage: npm run smoke -- <endpoint-url> [options]
  --model NAME          model to query (default ${SMOKE_DEFAULTS.model})
  --input NAME          its BYTES input (default ${SMOKE_DEFAULTS.inputName})
  --text TEXT           text for the inference
  --requests N          burst size, 0 skips the burst (default ${SMOKE_DEFAULTS.burstRequests}, at most 5000)
  --connections N       burst concurrency (default ${SMOKE_DEFAULTS.burstConnections}, at most 64)
  --max-p99-ms MS       latency budget of the burst (default ${SMOKE_DEFAULTS.maxP99Ms})
  --timeout-ms MS       per-request timeout (default ${SMOKE_DEFAULTS.timeoutMs})
  --report FILE         also write the JSON report to FILE
environment: SMOKE_TOKEN  bearer token when the endpoint has auth on`;

export class UsageError extends Error {
  override name = "UsageError";
}

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`--${flag} must be an integer ${min}-${max}, got "${raw}"`);
  return n;
}

export interface SmokeCommand {
  options: SmokeOptions;
  reportFile?: string;
}

export function parseSmokeArgs(argv: string[], env: NodeJS.ProcessEnv): SmokeCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: "string" },
        input: { type: "string" },
        text: { type: "string" },
        requests: { type: "string" },
        connections: { type: "string" },
        "max-p99-ms": { type: "string" },
        "timeout-ms": { type: "string" },
        report: { type: "string" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`expected exactly one endpoint URL, got ${positionals.length}`);
  const baseUrl = positionals[0]!;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`endpoint "${baseUrl}" is not a URL; expected http(s)://host[:port][/prefix]`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`endpoint "${baseUrl}" must be http or https`);
  const text = values.text ?? SMOKE_DEFAULTS.text;
  if (text.length === 0) throw new UsageError("--text must not be empty");
  return {
    options: {
      ...defaultSmokeOptions(baseUrl, env),
      model: values.model ?? SMOKE_DEFAULTS.model,
      inputName: values.input ?? SMOKE_DEFAULTS.inputName,
      text,
      burstRequests: integer("requests", values.requests, SMOKE_DEFAULTS.burstRequests, 0, 5000),
      burstConnections: integer("connections", values.connections, SMOKE_DEFAULTS.burstConnections, 1, 64),
      maxP99Ms: integer("max-p99-ms", values["max-p99-ms"], SMOKE_DEFAULTS.maxP99Ms, 1, 600_000),
      timeoutMs: integer("timeout-ms", values["timeout-ms"], SMOKE_DEFAULTS.timeoutMs, 100, 600_000),
    },
    ...(values.report ? { reportFile: values.report } : {}),
  };
}
