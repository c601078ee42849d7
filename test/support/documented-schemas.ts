// Schemas for kinds that no model package or shared CRD covers, written from the vendor's own
// reference and checked as strictly as the shared CRDs (an unknown field is an error).
// eks.amazonaws.com/v1 NodeClass: the CRD lives only inside EKS Auto Mode clusters; its fields are
// those of the EKS User Guide, "Create a Node Class for Amazon EKS" (Node Class specification),
// with the same names in aws-quickstart/cdk-eks-blueprints' AutoModeNodeClassSpec.
import { Ajv } from "ajv";

const terms = (extra: Record<string, object> = {}) => ({
  type: "array",
  items: {
    type: "object",
    additionalProperties: false,
    properties: { id: { type: "string" }, tags: { type: "object", additionalProperties: { type: "string" } }, ...extra },
  },
});

const NODE_CLASS = {
  type: "object",
  required: ["apiVersion", "kind", "metadata", "spec"],
  additionalProperties: false,
  properties: {
    apiVersion: { const: "eks.amazonaws.com/v1" },
    kind: { const: "NodeClass" },
    metadata: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
    spec: {
      type: "object",
      additionalProperties: false,
      properties: {
        role: { type: "string" },
        instanceProfile: { type: "string" },
        subnetSelectorTerms: terms(),
        securityGroupSelectorTerms: terms({ name: { type: "string" } }),
        podSubnetSelectorTerms: terms(),
        podSecurityGroupSelectorTerms: terms(),
        capacityReservationSelectorTerms: terms({ owner: { type: "string" } }),
        snatPolicy: { enum: ["Random", "Disabled"] },
        networkPolicy: { enum: ["DefaultAllow", "DefaultDeny"] },
        networkPolicyEventLogs: { enum: ["Enabled", "Disabled"] },
        ephemeralStorage: {
          type: "object",
          additionalProperties: false,
          properties: { size: { type: "string" }, iops: { type: "integer" }, throughput: { type: "integer" }, kmsKeyID: { type: "string" } },
        },
        advancedNetworking: {
          type: "object",
          additionalProperties: false,
          properties: {
            associatePublicIPAddress: { type: "boolean" },
            httpsProxy: { type: "string" },
            noProxy: { type: "array", items: { type: "string" } },
            ipv4PrefixSize: { type: "string" },
          },
        },
        advancedSecurity: { type: "object", additionalProperties: false, properties: { fips: { type: "boolean" } } },
        certificateBundles: { type: "array", items: { type: "object", required: ["name", "data"], additionalProperties: false, properties: { name: { type: "string" }, data: { type: "string" } } } },
        tags: { type: "object", additionalProperties: { type: "string" } },
      },
    },
  },
};

const ajv = new Ajv({ strict: false, allErrors: true });
const validators = new Map([["eks.amazonaws.com/v1/NodeClass", ajv.compile(NODE_CLASS)]]);

/** Validates against a documented schema: the error text, undefined when valid, "no-schema" for other kinds. */
export function validateWithDocumentedSchema(obj: { apiVersion: string; kind: string }): string | undefined | "no-schema" {
  const validate = validators.get(`${obj.apiVersion}/${obj.kind}`);
  if (!validate) return "no-schema";
  return validate(obj) ? undefined : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
}
