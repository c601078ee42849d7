import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { parseCommand } from "../../scripts/lib/cli-args.js";
import { SMOKE, smokeCommand, UsageError } from "../../scripts/smoke/args.js";
import {
  burstProblem,
  inferRequest,
  inferResponseProblem,
  metadataProblem,
  runSmoke,
  SMOKE_DEFAULTS,
  type SmokeOptions,
} from "../../scripts/smoke/smoke.js";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => handler(req, body, res));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

const goodInfer = { model_name: "spam-classifier", outputs: [{ name: "probability", datatype: "FP32", shape: [1, 2], data: [0.1, 0.9] }] };

/** A V2 endpoint that behaves except where `breakIt` says otherwise. */
function v2(breakIt: (path: string, body: string) => { status: number; body: unknown } | undefined): Handler {
  return (req, body, res) => {
    const path = req.url ?? "";
    const broken = breakIt(path, body);
    if (broken) return json(res, broken.status, broken.body);
    if (path === "/v2/models/spam-classifier") return json(res, 200, { name: "spam-classifier", inputs: [{ name: "text", datatype: "BYTES", shape: [-1] }] });
    if (path.endsWith("/infer")) return json(res, 200, goodInfer);
    return json(res, 200, {});
  };
}

function options(url: string, over: Partial<SmokeOptions> = {}): SmokeOptions {
  return { ...SMOKE_DEFAULTS, baseUrl: url, burstRequests: 40, burstConnections: 4, timeoutMs: 5000, ...over };
}

describe("smoke test report", () => {
  it("builds a V2 BYTES infer request for the text input", () => {
    assert.deepEqual(inferRequest("text", "hi"), { inputs: [{ name: "text", shape: [1], datatype: "BYTES", data: ["hi"] }] });
  });

  it("accepts a well-formed infer response and names what is wrong in a malformed one", () => {
    assert.equal(inferResponseProblem(goodInfer, "spam-classifier"), undefined);
    assert.match(inferResponseProblem({ ...goodInfer, model_name: "other" }, "spam-classifier")!, /model_name is "other"/);
    assert.match(inferResponseProblem({ model_name: "spam-classifier", outputs: [] }, "spam-classifier")!, /no outputs/);
    const short = { model_name: "spam-classifier", outputs: [{ name: "p", datatype: "FP32", shape: [1, 2], data: [0.5] }] };
    assert.match(inferResponseProblem(short, "spam-classifier")!, /has 1 elements, its shape \[1,2\] says 2/);
    assert.match(inferResponseProblem("nope", "spam-classifier")!, /not a JSON object/);
  });

  it("requires the model metadata to declare the input it sends", () => {
    assert.equal(metadataProblem({ inputs: [{ name: "text" }] }, "text"), undefined);
    assert.match(metadataProblem({ inputs: [{ name: "input_ids" }] }, "text")!, /no input "text" \(inputs: input_ids\)/);
  });

  it("fails a burst on any non-2xx, error, missing answer or a p99 over budget", () => {
    const clean = { requests: 10, ok: 10, non2xx: 0, errors: 0, p50Ms: 3, p99Ms: 9, requestsPerSec: 100 };
    assert.equal(burstProblem(clean, 50), undefined);
    assert.match(burstProblem({ ...clean, ok: 8, non2xx: 2 }, 50)!, /2 non-2xx/);
    assert.match(burstProblem({ ...clean, ok: 9, errors: 1 }, 50)!, /1 connection errors/);
    assert.match(burstProblem(clean, 5)!, /p99 9 ms over the 5 ms budget/);
  });

  it("parses its command line and refuses bad values with the allowed range", () => {
    const parseSmokeArgs = (argv: string[], env: Record<string, string>) => {
      const parsed = parseCommand(SMOKE, argv);
      assert.notEqual(parsed, "help");
      if (parsed === "help") throw new Error("unreachable");
      return smokeCommand(parsed.values, parsed.positionals, env);
    };
    const cmd = parseSmokeArgs(["http://127.0.0.1:8080", "--requests", "10", "--report", "r.json"], { SMOKE_TOKEN: "t" });
    assert.equal(cmd.options.burstRequests, 10);
    assert.equal(cmd.options.token, "t");
    assert.equal(cmd.reportFile, "r.json");
    assert.equal(cmd.options.model, "spam-classifier");
    assert.equal(cmd.waitReadyS, 0, "no readiness wait unless asked");
    assert.equal(parseSmokeArgs(["http://x", "--wait-ready-s", "900"], {}).waitReadyS, 900);
    assert.throws(() => parseSmokeArgs(["http://x", "--requests=-1"], {}), (e: unknown) => e instanceof UsageError && /--requests must be an integer 0-5000, got "-1"/.test(e.message));
    assert.throws(() => parseSmokeArgs(["http://x", "--wait-ready-s", "soon"], {}), /--wait-ready-s must be an integer 0-3600, got "soon"/);
    assert.throws(() => parseSmokeArgs(["ftp://x"], {}), /must be http or https/);
    assert.throws(() => parseSmokeArgs([], {}), /expected 1 argument, got 0/);
    assert.throws(() => parseSmokeArgs(["http://x", "--bogus"], {}), UsageError);
    assert.throws(() => parseSmokeArgs(["http://x", "--stack", "qa"], {}), /unknown --stack stack "qa"; known stacks: dev, local, prod, staging/);
  });

  it("checks gRPC only when given --grpc host:port (the stack's grpcEndpoint output)", () => {
    const grpcOf = (...argv: string[]) => {
      const parsed = parseCommand(SMOKE, ["https://infer.example.com", ...argv]);
      if (parsed === "help") throw new Error("unreachable");
      return smokeCommand(parsed.values, parsed.positionals, {}).options.grpcEndpoint;
    };
    assert.equal(grpcOf(), undefined);
    assert.equal(grpcOf("--grpc", "infer.example.com:8081"), "infer.example.com:8081");
    assert.equal(grpcOf("--grpc", "[::1]:30081"), "[::1]:30081");
    for (const bad of ["infer.example.com", "https://infer.example.com:8081", "host:0", "host:70000"]) {
      assert.throws(() => grpcOf("--grpc", bad), (e: unknown) => e instanceof UsageError && e.message === `--grpc must be host:port with a port 1-65535, got "${bad}"`);
    }
  });

  it("sends each stack's own token: SMOKE_TOKEN_<STACK> with --stack, SMOKE_TOKEN only for a bare URL", () => {
    const env = { SMOKE_TOKEN: "shared", SMOKE_TOKEN_DEV: "dev-token", SMOKE_TOKEN_PROD: "prod-token" };
    const token = (argv: string[], e: Record<string, string> = env) => {
      const parsed = parseCommand(SMOKE, argv);
      if (parsed === "help") throw new Error("unreachable");
      return smokeCommand(parsed.values, parsed.positionals, e).options.token;
    };
    assert.equal(token(["http://x", "--stack", "dev"]), "dev-token");
    assert.equal(token(["http://x", "--stack", "org/project/prod"]), "prod-token");
    assert.equal(token(["http://x", "--stack", "staging"]), undefined, "never another stack's token, nor the shared one");
    assert.equal(token(["http://x"]), "shared");
  });
});

describe("smoke test against failing endpoints", () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));
  async function endpoint(handler: Handler): Promise<string> {
    const { server, url } = await serve(handler);
    servers.push(server);
    return url;
  }

  it("fails readiness when the server is not ready and still reports the other checks", async () => {
    const url = await endpoint(v2((p) => (p === "/v2/health/ready" ? { status: 503, body: { error: "draining" } } : undefined)));
    const report = await runSmoke(options(url, { burstRequests: 0 }));
    assert.equal(report.passed, false);
    assert.deepEqual(report.checks.filter((c) => !c.passed).map((c) => c.name), ["v2/health/ready"]);
    assert.match(report.failures[0]!, /answered 503/);
  });

  it("fails when inference returns an error, and skips the burst", async () => {
    const url = await endpoint(v2((p) => (p.endsWith("/infer") ? { status: 500, body: { error: "boom" } } : undefined)));
    const report = await runSmoke(options(url));
    assert.equal(report.passed, false);
    assert.match(report.failures.join("\n"), /infer: POST infer answered 500/);
    assert.equal(report.burst, undefined);
  });

  it("fails the burst when some requests under load are shed", async () => {
    let n = 0;
    const url = await endpoint(v2((p) => (p.endsWith("/infer") && ++n > 1 && n % 5 === 0 ? { status: 503, body: { error: "queue full" } } : undefined)));
    const report = await runSmoke(options(url));
    assert.equal(report.passed, false);
    assert.ok(report.burst && report.burst.non2xx > 0, "burst figures count the 503s");
    assert.match(report.failures.join("\n"), /burst: \d+ non-2xx responses/);
  });

  it("passes a conforming endpoint and reports burst figures", async () => {
    const seen = new Set<string>();
    const url = await endpoint(v2((p, body) => {
      if (p.endsWith("/infer")) seen.add(body);
      return undefined;
    }));
    const report = await runSmoke(options(url));
    assert.equal(report.passed, true, report.failures.join("\n"));
    assert.equal(report.burst?.ok, 40);
    assert.ok(seen.size > 30, "burst bodies differ so a result cache cannot answer them");
  });

  it("fails on an endpoint nobody listens on", async () => {
    const { server, url } = await serve(() => undefined);
    server.close();
    await once(server, "close");
    const report = await runSmoke(options(url, { burstRequests: 0, timeoutMs: 2000 }));
    assert.equal(report.passed, false);
    assert.equal(report.checks.every((c) => !c.passed), true);
  });
});

describe("npm run smoke exit code", () => {
  let url = "";
  let server: Server;
  before(async () => {
    ({ server, url } = await serve(v2((p) => (p === "/v2/health/live" ? { status: 500, body: {} } : undefined))));
  });
  after(() => server.close());

  function smoke(args: string[]) {
    return spawnSync(process.execPath, ["--import", "tsx", "scripts/smoke.ts", ...args], { encoding: "utf8", timeout: 30_000 });
  }

  it("exits 1 when a check fails, naming it", async () => {
    // spawnSync would block the loop that serves the endpoint, so the child runs asynchronously here.
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/smoke.ts", url, "--requests", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 1);
    assert.match(out, /FAIL v2\/health\/live/);
    assert.match(out, /FAILED/);
  });

  it("exits 2 with one line on a bad command line", () => {
    const res = smoke(["not a url"]);
    assert.equal(res.status, 2);
    assert.equal(res.stderr.trim().split("\n").length, 1);
    assert.match(res.stderr, /^npm run smoke: endpoint "not a url" is not a URL; expected http\(s\):\/\/host\[:port\]\[\/prefix\] \(npm run smoke -- --help shows the usage\)/);
  });
});
