// The endpoint clients call: a stack with TLS publishes the name its certificate covers, with a
// Route 53 record when a zone is configured, and exports that URL (not the NLB's own name).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ofType, runStack, stackValue } from "../../support/pulumi-program.js";

describe("public hostname", () => {
  it("prod creates a CNAME from its hostname to the NLB in its zone and exports https://<hostname>", async () => {
    const run = await runStack("prod");
    const lb = stackValue("prod", "loadBalancer");
    const [record, ...more] = ofType(run, "aws:route53/record:Record");
    assert.equal(more.length, 0);
    assert.deepEqual(
      { zoneId: record!.inputs.zoneId, name: record!.inputs.name, type: record!.inputs.type, ttl: record!.inputs.ttl },
      { zoneId: lb.hostedZoneId, name: lb.hostname, type: "CNAME", ttl: 60 },
    );
    assert.deepEqual(record!.inputs.records, [run.outputs.loadBalancerHostname]);
    assert.equal(run.outputs.endpointUrl, `https://${lb.hostname}`);
    assert.equal(run.outputs.healthUrl, `https://${lb.hostname}/v2/health/ready`);
    assert.notEqual(run.outputs.endpointUrl, `https://${run.outputs.loadBalancerHostname}`, "never the NLB's own name");
  });

  it("staging publishes a name managed elsewhere: no record, the URL still uses it", async () => {
    const run = await runStack("staging");
    assert.equal(ofType(run, "aws:route53/record:Record").length, 0);
    assert.equal(run.outputs.endpointUrl, `https://${stackValue("staging", "loadBalancer").hostname}`);
  });

  it("dev without TLS keeps the NLB's URL", async () => {
    const run = await runStack("dev");
    assert.equal(run.outputs.endpointUrl, `http://${run.outputs.loadBalancerHostname}`);
  });
});
