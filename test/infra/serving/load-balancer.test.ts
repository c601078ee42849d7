// The public entry point: NLB with readiness health checks, TLS when a certificate is configured,
// a listener per front door (REST and gRPC).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { negotiatedProtocol, type NlbAlpnPolicy } from "../../../infra/serving/alpn.js";
import { ofType, runStack, stackValue, stackWith, type ProgramRun } from "../../support/pulumi-program.js";

const AWS_LB = "service.beta.kubernetes.io/aws-load-balancer";
const publicService = (run: ProgramRun) => {
  const found = ofType(run, "kubernetes:core/v1:Service").filter((s) => s.name === "inference-public");
  assert.equal(found.length, 1);
  return found[0]!.inputs;
};

describe("load balancer", () => {
  for (const stack of ["staging", "prod"] as const) {
    it(`${stack} terminates TLS with its ACM certificate on both listeners: REST on 443, gRPC on 8081`, async () => {
      const run = await runStack(stack);
      const svc = publicService(run);
      assert.equal(svc.metadata.annotations[`${AWS_LB}-ssl-cert`], stackValue(stack, "loadBalancer").certificateArn);
      assert.deepEqual(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort]), [["https", 443, "http"], ["grpc", 8081, "grpc"]]);
      // ssl-ports names the TLS listeners; one left out would serve plaintext beside TLS.
      assert.deepEqual(svc.metadata.annotations[`${AWS_LB}-ssl-ports`].split(",").sort(), svc.spec.ports.map((p: any) => p.name).sort());
      const hostname = stackValue(stack, "loadBalancer").hostname;
      assert.equal(run.outputs.endpointUrl, `https://${hostname}`);
      assert.equal(run.outputs.grpcEndpoint, `${hostname}:8081`, "the name the certificate covers, not the NLB's");
    });

    it(`${stack} negotiates h2 with gRPC clients and http/1.1 with REST clients on its TLS listeners (alpn.ts)`, async () => {
      const policy = publicService(await runStack(stack)).metadata.annotations[`${AWS_LB}-alpn-policy`] as NlbAlpnPolicy;
      // grpc-js offers h2 only; curl and browsers offer h2 and http/1.1; the REST port speaks HTTP/1.1 only.
      assert.equal(negotiatedProtocol(policy, ["h2"]), "h2");
      assert.equal(negotiatedProtocol(policy, ["h2", "http/1.1"]), "http/1.1");
      assert.equal(negotiatedProtocol(policy, ["http/1.1"]), "http/1.1");
    });
  }

  it("dev, without a certificate, serves plain HTTP on 80 and plaintext gRPC on 8081, no ALPN", async () => {
    const run = await runStack("dev");
    const svc = publicService(run);
    assert.equal(svc.metadata.annotations[`${AWS_LB}-ssl-cert`], undefined);
    assert.equal(svc.metadata.annotations[`${AWS_LB}-ssl-ports`], undefined);
    assert.equal(svc.metadata.annotations[`${AWS_LB}-alpn-policy`], undefined);
    assert.deepEqual(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort]), [["http", 80, "http"], ["grpc", 8081, "grpc"]]);
    assert.match(String(run.outputs.endpointUrl), /^http:\/\/.+elb\..+amazonaws\.com$/);
    assert.equal(run.outputs.grpcEndpoint, `${new URL(String(run.outputs.endpointUrl)).hostname}:8081`);
  });

  it("health-checks both target groups on the pods' HTTP port: readiness is HTTP, the gRPC port speaks HTTP/2 only", async () => {
    const run = await runStack("prod");
    const annotations = publicService(run).metadata.annotations;
    const c = ofType(run, "kubernetes:apps/v1:Deployment").find((d) => d.name === "inference")!.inputs.spec.template.spec.containers[0];
    const http = c.ports.find((p: any) => p.name === "http").containerPort;
    assert.equal(annotations[`${AWS_LB}-healthcheck-port`], String(http));
    assert.equal(annotations[`${AWS_LB}-healthcheck-protocol`], "HTTP");
    assert.equal(annotations[`${AWS_LB}-healthcheck-path`], c.readinessProbe.httpGet.path);
  });

  it("keeps a leaving target's connections until the pod's preStop and drain are over (rollout-timing.ts)", async () => {
    const run = await runStack("prod");
    const attrs = publicService(run).metadata.annotations[`${AWS_LB}-target-group-attributes`];
    const delay = Number(/deregistration_delay\.timeout_seconds=(\d+)/.exec(attrs)?.[1]);
    const app = ofType(run, "kubernetes:apps/v1:Deployment").find((d) => d.name === "inference");
    const preStop = app?.inputs.spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds;
    const drain = Math.ceil(Number(app?.inputs.spec.template.spec.containers[0].env.find((e: any) => e.name === "SHUTDOWN_GRACE_MS").value) / 1000);
    assert.equal(delay, preStop + drain, `delay ${delay}, preStop ${preStop}, drain ${drain}`);
    assert.equal(publicService(run).metadata.annotations[`${AWS_LB}-healthcheck-path`], "/v2/health/ready");
  });

  it("an internal NLB limited to given client CIDRs", async () => {
    const lb = { ...stackValue("staging", "loadBalancer"), internal: true, allowedCidrs: ["10.0.0.0/8"] };
    const svc = publicService(await runStack(stackWith("staging", { loadBalancer: lb })));
    assert.equal(svc.metadata.annotations[`${AWS_LB}-scheme`], "internal");
    assert.deepEqual(svc.spec.loadBalancerSourceRanges, ["10.0.0.0/8"]);
  });

  it("the local stack opens node ports 30080 (REST) and 30081 (gRPC), the latter set by loadBalancer.grpcNodePort", async () => {
    const local = await runStack("local");
    assert.deepEqual(publicService(local).spec.ports.map((p: any) => [p.name, p.nodePort, p.targetPort]), [["http", 30080, "http"], ["grpc", 30081, "grpc"]]);
    assert.equal(local.outputs.endpointUrl, "http://localhost:30080");
    assert.equal(local.outputs.grpcEndpoint, "localhost:30081");
    const moved = await runStack(stackWith("local", { loadBalancer: { ...stackValue("local", "loadBalancer"), grpcNodePort: 31081 } }));
    assert.equal(publicService(moved).spec.ports[1].nodePort, 31081);
    assert.equal(moved.outputs.grpcEndpoint, "localhost:31081");
  });

  it("a local cluster with a LoadBalancer implementation gets a plain LoadBalancer Service", async () => {
    const svc = publicService(await runStack(stackWith("local", { loadBalancer: { type: "loadBalancer" } })));
    assert.equal(svc.spec.type, "LoadBalancer");
    assert.equal(svc.spec.loadBalancerClass, undefined);
    assert.deepEqual(svc.metadata.annotations, {});
  });
});
