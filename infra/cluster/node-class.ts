// An EKS Auto Mode NodeClass that keeps nodes in the private subnets, with network policy
// enforcement turned on. Auto Mode's built-in `default` NodeClass selects the cluster's
// subnets and enforces no NetworkPolicy; the EKS User Guide gives both steps:
// - "Create a Node Class for Amazon EKS": subnetSelectorTerms / securityGroupSelectorTerms pick
//   where nodes go; `role` names the node IAM role. A custom NodeClass needs an EC2 access entry
//   for that role, which EKS creates itself for the cluster's Auto Mode node role (the one the
//   built-in pools use), so this NodeClass reuses that role instead of adding an entry.
// - "Use Network Policies with EKS Auto Mode": the `kube-system/amazon-vpc-cni` ConfigMap with
//   `enable-network-policy-controller: "true"` turns the controller on, and a NodeClass with
//   `networkPolicy` set makes its nodes enforce the policies. Until both exist NetworkPolicy
//   objects are accepted and ignored.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export const NODE_CLASS_API = { group: "eks.amazonaws.com", version: "v1", kind: "NodeClass" } as const;

export interface NodeClassArgs {
  /** NodeClass name, referenced by NodePools (required). */
  nodeClassName: string;
  /** IAM role name of the nodes: the cluster's Auto Mode node role (required). */
  roleName: pulumi.Input<string>;
  /** Subnets the nodes may use: the private ones (required). */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security groups of the nodes: the cluster security group (required). */
  securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Default action for pods no NetworkPolicy selects (default "DefaultAllow", the documented setting). */
  networkPolicy?: "DefaultAllow" | "DefaultDeny";
  /** Tags for the EC2 resources Auto Mode launches (default none). */
  tags?: Record<string, string>;
}

export class NodeClass extends pulumi.ComponentResource {
  /** Reference for a NodePool's spec.template.spec.nodeClassRef. */
  public readonly ref: { group: string; kind: string; name: string };

  constructor(name: string, args: NodeClassArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:NodeClass", name, {}, opts);
    const controller = new k8s.core.v1.ConfigMap(
      `${name}-network-policy-controller`,
      {
        metadata: { name: "amazon-vpc-cni", namespace: "kube-system" },
        data: { "enable-network-policy-controller": "true" },
      },
      { parent: this },
    );
    const toIds = (ids: pulumi.Input<pulumi.Input<string>[]>) => pulumi.output(ids).apply((list) => list.map((id) => ({ id })));
    new k8s.apiextensions.CustomResource(
      name,
      {
        apiVersion: `${NODE_CLASS_API.group}/${NODE_CLASS_API.version}`,
        kind: NODE_CLASS_API.kind,
        metadata: { name: args.nodeClassName },
        spec: {
          role: args.roleName,
          subnetSelectorTerms: toIds(args.subnetIds),
          securityGroupSelectorTerms: toIds(args.securityGroupIds),
          networkPolicy: args.networkPolicy ?? "DefaultAllow",
          networkPolicyEventLogs: "Disabled",
          ...(args.tags ? { tags: args.tags } : {}),
        },
      },
      // Enforcement needs the controller on before nodes of this class start.
      { parent: this, dependsOn: [controller] },
    );
    this.ref = { group: NODE_CLASS_API.group, kind: NODE_CLASS_API.kind, name: args.nodeClassName };
    this.registerOutputs({ ref: this.ref });
  }
}
