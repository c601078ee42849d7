// The VPC the cluster lives in: private subnets for nodes, public subnets for the
// internet-facing load balancer, each tagged so that load balancers find them.
import * as pulumi from "@pulumi/pulumi";
import * as awsx from "@pulumi/awsx";
import { PROTECTED, protectTypes } from "../protection.js";

export interface NetworkArgs {
  /** VPC CIDR block, e.g. "10.10.0.0/16" (required). */
  cidr: string;
  /** Availability zones to spread subnets over (default 2). */
  azCount?: number;
  /** One NAT gateway for the VPC or one per zone (default "single"). */
  natGateways?: "single" | "one-per-az";
  /** Tags for every resource of the VPC (default none). */
  tags?: Record<string, string>;
  /** Protect the VPC itself, not its subnets, routes or gateways (../protection.ts) (default false). */
  protect?: boolean;
}

export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  public readonly cidr: string;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:Network", name, {}, opts);
    // Node subnets get an eighth of the VPC each, LB subnets a sixty-fourth: room
    // for pods (VPC CNI gives each pod a VPC address) and 3 zones in any /16../22.
    const prefix = Number(args.cidr.split("/")[1]);
    const vpc = new awsx.ec2.Vpc(
      name,
      {
        cidrBlock: args.cidr,
        numberOfAvailabilityZones: args.azCount ?? 2,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        subnetStrategy: "Auto",
        natGateways: { strategy: (args.natGateways ?? "single") === "single" ? "Single" : "OnePerAz" },
        subnetSpecs: [
          // Internal load balancers and the nodes themselves.
          { type: "Private", cidrMask: prefix + 3, tags: { ...args.tags, "kubernetes.io/role/internal-elb": "1" } },
          // Internet-facing load balancers.
          { type: "Public", cidrMask: prefix + 6, tags: { ...args.tags, "kubernetes.io/role/elb": "1" } },
        ],
        tags: args.tags,
      },
      // The VPC is a child of the awsx component, reached through a transform.
      { parent: this, transforms: args.protect ? [protectTypes([PROTECTED.vpc])] : [] },
    );
    this.cidr = args.cidr;
    this.vpcId = vpc.vpcId;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
  }
}
