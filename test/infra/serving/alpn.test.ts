// ALPN on the NLB's TLS listeners: the documented preference lists, and which policy lets both
// front doors through one load balancer.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { APP_ALPN_POLICY, negotiatedProtocol, NLB_ALPN_PREFERENCES, type NlbAlpnPolicy } from "../../../infra/serving/alpn.js";

/** What clients offer in their TLS ClientHello. */
const GRPC = ["h2"];
const CURL = ["h2", "http/1.1"];
const FETCH = ["http/1.1"];

describe("NLB ALPN negotiation", () => {
  it("picks the first protocol of the policy's list that the client offers", () => {
    assert.equal(negotiatedProtocol("HTTP2Preferred", CURL), "h2");
    assert.equal(negotiatedProtocol("HTTP2Optional", CURL), "http/1.1");
    assert.equal(negotiatedProtocol("HTTP1Only", GRPC), undefined);
    assert.equal(negotiatedProtocol("None", CURL), undefined);
  });

  it("only the app's policy gives gRPC clients h2 and every REST client HTTP/1.1", () => {
    const serves = (policy: NlbAlpnPolicy) =>
      negotiatedProtocol(policy, GRPC) === "h2" && [CURL, FETCH].every((offer) => negotiatedProtocol(policy, offer) === "http/1.1");
    const fitting = (Object.keys(NLB_ALPN_PREFERENCES) as NlbAlpnPolicy[]).filter(serves);
    assert.deepEqual(fitting, ["HTTP2Optional"]);
    assert.equal(APP_ALPN_POLICY, "HTTP2Optional");
  });
});
