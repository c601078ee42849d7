// The smoke test's gRPC check against the real server started as a child process on loopback
// (GRPC_PORT=0): ServerReady passes there, also through a TLS terminator that negotiates ALPN as
// the NLB's policy does, and fails with a clear message when the port is closed or the server is
// not ready.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer as createTcpServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { after, before, describe, it } from "node:test";
import { startApp } from "../../../app/src/app.js";
import { loadConfig } from "../../../app/src/config.js";
import { APP_ALPN_POLICY, NLB_ALPN_PREFERENCES } from "../../../infra/serving/alpn.js";
import { checkGrpcReady } from "../../../scripts/smoke/grpc.js";
import { runSmoke, SMOKE_DEFAULTS, type SmokeOptions } from "../../../scripts/smoke/smoke.js";
import { startAppProcess, type AppProcess } from "../../support/app-process.js";
import { createModelRepository, type TestRepository } from "../../support/models.js";

const openssl = spawnSync("openssl", ["version"]).status === 0;

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createTcpServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

describe("smoke test over gRPC against the real server", () => {
  let repo: TestRepository;
  let app: AppProcess;
  before(async () => {
    repo = await createModelRepository({ models: ["lower"] });
    app = await startAppProcess(repo.dir, { GRPC_PORT: "0" });
  });
  after(async () => {
    await app?.stop();
    await repo?.remove();
  });

  const options = (over: Partial<SmokeOptions>): SmokeOptions => ({
    ...SMOKE_DEFAULTS,
    baseUrl: app.url,
    model: "lower",
    text: "HELLO",
    burstRequests: 0,
    timeoutMs: 5000,
    ...over,
  });

  it("passes ServerReady at the gRPC endpoint, beside every REST check", async () => {
    assert.ok(app.grpcAddress, "the server logs its gRPC address");
    const report = await runSmoke(options({ grpcEndpoint: app.grpcAddress }));
    assert.equal(report.passed, true, report.failures.join("\n"));
    assert.deepEqual(report.checks.map((c) => c.name), ["v2/health/live", "v2/health/ready", "v2/models/lower/ready", "grpc ServerReady", "v2/models/lower", "infer"]);
    assert.equal(report.checks[3]!.detail, `ready at ${app.grpcAddress}`);
  });

  it("fails at once, naming the endpoint and UNAVAILABLE, when the gRPC port is closed", async () => {
    const endpoint = `127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const report = await runSmoke(options({ grpcEndpoint: endpoint }));
    assert.equal(report.passed, false);
    assert.deepEqual(report.failures.map((f) => f.split(":")[0]), ["grpc ServerReady"]);
    assert.match(report.checks.find((c) => c.name === "grpc ServerReady")!.detail, new RegExp(`^${endpoint}: UNAVAILABLE: .*ECONNREFUSED`));
    assert.ok(Date.now() - started < 5000, "a refused connection is not waited out to the deadline");
  });

  it("fails when the REST port is given as the gRPC endpoint (HTTP/1.1 only there)", async () => {
    const check = await checkGrpcReady(new URL(app.url).host, { tls: false, timeoutMs: 5000 });
    assert.equal(check.passed, false);
    assert.match(check.detail, new RegExp(`^${new URL(app.url).host}: [A-Z_]+: `));
  });

  describe("through TLS terminated in front of the app, with the NLB's ALPN preference list", { skip: openssl ? false : "needs the openssl CLI to make a test certificate (npm run setup installs it)" }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), "smoke-grpc-tls-"));
    let terminator: TlsServer;
    let endpoint = "";
    let cert: Buffer;
    const negotiated: (string | false)[] = [];
    before(async () => {
      execFileSync("openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
      ], { stdio: "ignore" });
      cert = readFileSync(path.join(dir, "cert.pem"));
      const [host, port] = app.grpcAddress!.split(":");
      // Like the NLB's TLS listener: decrypt, pass the plain bytes on to the pod's gRPC port.
      terminator = createTlsServer({ key: readFileSync(path.join(dir, "key.pem")), cert, ALPNProtocols: [...NLB_ALPN_PREFERENCES[APP_ALPN_POLICY]] }, (socket) => {
        negotiated.push(socket.alpnProtocol ?? false);
        const upstream = connect(Number(port), host);
        socket.pipe(upstream).pipe(socket);
        const end = () => (socket.destroy(), upstream.destroy());
        socket.on("error", end).on("close", end);
        upstream.on("error", end).on("close", end);
      });
      terminator.listen(0, "127.0.0.1");
      await once(terminator, "listening");
      endpoint = `localhost:${(terminator.address() as AddressInfo).port}`;
    });
    after(() => {
      terminator?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("passes with the certificate trusted, having negotiated h2", async () => {
      const check = await checkGrpcReady(endpoint, { tls: true, ca: cert, timeoutMs: 5000 });
      assert.equal(check.passed, true, check.detail);
      assert.equal(check.detail, `ready at ${endpoint} (TLS)`);
      assert.deepEqual(negotiated, ["h2"]);
    });

    it("fails when the certificate is not trusted", async () => {
      const check = await checkGrpcReady(endpoint, { tls: true, timeoutMs: 5000 });
      assert.equal(check.passed, false);
      assert.match(check.detail, new RegExp(`^${endpoint}: UNAVAILABLE: `));
    });
  });
});

describe("smoke test over gRPC against a server that is not ready", () => {
  it("fails ServerReady when a model could not be loaded", async () => {
    const repo = await createModelRepository({ models: ["broken"] });
    const server = await startApp(loadConfig({ HOST: "127.0.0.1", PORT: "0", GRPC_PORT: "0", MODEL_REPOSITORY: repo.dir, LOG_LEVEL: "silent" }));
    try {
      await server.loaded;
      const check = await checkGrpcReady(server.grpcAddress!, { tls: false, timeoutMs: 5000 });
      assert.deepEqual(check, { name: "grpc ServerReady", passed: false, detail: `${server.grpcAddress} answered ready: false` });
    } finally {
      await server.close();
      await repo.remove();
    }
  });
});
