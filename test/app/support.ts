// Shared test plumbing: a server on a free loopback port over a temporary test repository.
import { Writable } from "node:stream";
import { pino } from "pino";
import { loadConfig, type AppConfig } from "../../app/src/config.js";
import { startApp, type RunningApp, type StartOptions } from "../../app/src/app.js";
import { createModelRepository, type RepositoryOptions, type TestRepository } from "../support/models.js";

/** Settings for a test server: loopback, port 0, silent logs, no result cache unless `env` says so. */
export function testConfig(modelRepository: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({ MODEL_REPOSITORY: modelRepository, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", CACHE_ENABLED: "false", ...env });
}

export interface TestServer {
  server: RunningApp;
  url: string;
  repo: TestRepository;
  /** Stops the server and deletes the repository. */
  stop(): Promise<void>;
}

/** Writes a test repository, starts a server on it and waits until every model has loaded (or failed). */
export async function startTestServer(
  repoOptions: RepositoryOptions = {},
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestServer> {
  const repo = await createModelRepository(repoOptions);
  const server = await startApp(testConfig(repo.dir, env), options);
  await server.loaded;
  return {
    server,
    url: server.url,
    repo,
    async stop() {
      await server.close();
      await repo.remove();
    },
  };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** Sends a request and parses the JSON answer (throws if the answer is not JSON). */
export async function request(url: string, init: RequestInit & { json?: unknown } = {}): Promise<JsonResponse> {
  const { json, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    ...(json !== undefined ? { method: rest.method ?? "POST", body: JSON.stringify(json), headers: { "content-type": "application/json", ...rest.headers } } : {}),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${init.method ?? "GET"} ${url} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body };
}

/** POSTs an inference request to a model (optionally a version). */
export function infer(server: { url: string }, model: string, body: unknown, headers: Record<string, string> = {}, version?: string) {
  const path = version ? `/v2/models/${model}/versions/${version}/infer` : `/v2/models/${model}/infer`;
  return request(server.url + path, { method: "POST", json: body, headers });
}

/** The value of one sample in a /metrics scrape, e.g. metricValue(text, 'inference_batch_size_count{model="adder"}'); 0 when absent. */
export async function metricValue(url: string, sample: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}


/** A debug-level logger that keeps its JSON lines for assertions. */
export function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}
