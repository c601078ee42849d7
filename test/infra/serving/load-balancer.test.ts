// The public entry point: NLB with readiness health checks, TLS when a certificate is configured.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ofType, runStack, stackValue, stackWith, type ProgramRun } from "../../support/pulumi-program.js";

const AWS_LB = "service.beta.kubernetes.io/aws-load-balancer";
const publicService = (run: ProgramRun) => {
  const found = ofType(run, "kubernetes:core/v1:Service").filter((s) => s.name === "inference-public");
  assert.equal(found.length, 1);
  return found[0]!.inputs;
};

describe("load balancer", () => {
  for (const stack of ["staging", "prod"] as const) {
    it(`${stack} terminates TLS on 443 with its ACM certificate`, async () => {
      const run = await runStack(stack);
      const svc = publicService(run);
      assert.equal(svc.metadata.annotations[`${AWS_LB}-ssl-cert`], stackValue(stack, "loadBalancer").certificateArn);
      assert.equal(svc.metadata.annotations[`${AWS_LB}-ssl-ports`], "https");
      assert.deepEqual(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort]), [["https", 443, "http"]]);
      assert.match(String(run.outputs.endpointUrl), /^https:\/\//);
    });
  }

  it("dev, without a certificate, serves plain HTTP on 80", async () => {
    const run = await runStack("dev");
    const svc = publicService(run);
    assert.equal(svc.metadata.annotations[`${AWS_LB}-ssl-cert`], undefined);
    assert.deepEqual(svc.spec.ports.map((p: any) => p.port), [80]);
    assert.match(String(run.outputs.endpointUrl), /^http:\/\/.+elb\..+amazonaws\.com$/);
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

  it("a local cluster with a LoadBalancer implementation gets a plain LoadBalancer Service", async () => {
    const svc = publicService(await runStack(stackWith("local", { loadBalancer: { type: "loadBalancer" } })));
    assert.equal(svc.spec.type, "LoadBalancer");
    assert.equal(svc.spec.loadBalancerClass, undefined);
    assert.deepEqual(svc.metadata.annotations, {});
  });
});
