// The smoke test's certificate check against a loopback HTTPS server whose certificate is made
// here for one name: the name clients use passes, the load balancer's own DNS name fails.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { checkCertificate } from "../../../scripts/smoke/tls.js";

const HOST = "infer.example.test";
const NLB = "inference-1a2b3c4d5e6f7a8b.elb.us-east-1.amazonaws.com";
const openssl = spawnSync("openssl", ["version"]).status === 0;

describe("TLS certificate check", { skip: openssl ? false : "needs the openssl CLI to make a test certificate (npm run setup installs it)" }, () => {
  let server: Server;
  let port = 0;
  let cert = "";
  const dir = mkdtempSync(path.join(tmpdir(), "smoke-tls-"));

  before(async () => {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", `/CN=${HOST}`, "-addext", `subjectAltName=DNS:${HOST}`,
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    cert = readFileSync(path.join(dir, "cert.pem"), "utf8");
    server = createServer({ key: readFileSync(path.join(dir, "key.pem")), cert }, (_req, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });

  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes for the name the certificate was issued for", async () => {
    const check = await checkCertificate(`https://${HOST}:${port}`, { connectHost: "127.0.0.1", ca: cert, timeoutMs: 5000 });
    assert.equal(check.passed, true, check.detail);
    assert.match(check.detail, new RegExp(`^valid for ${HOST.replace(/\./g, "\\.")} \\(DNS:${HOST.replace(/\./g, "\\.")}\\), expires `));
  });

  it("fails for the load balancer's own DNS name, naming what the certificate covers", async () => {
    const check = await checkCertificate(`https://${NLB}:${port}`, { connectHost: "127.0.0.1", ca: cert, timeoutMs: 5000 });
    assert.equal(check.passed, false);
    assert.equal(check.detail, `certificate (DNS:${HOST}) is not valid for ${NLB}: clients must call a name it covers`);
  });

  it("fails for the right name when the certificate is not trusted", async () => {
    const check = await checkCertificate(`https://${HOST}:${port}`, { connectHost: "127.0.0.1", timeoutMs: 5000 });
    assert.equal(check.passed, false);
    assert.match(check.detail, /^certificate for infer\.example\.test is not trusted: DEPTH_ZERO_SELF_SIGNED_CERT$/);
  });
});
