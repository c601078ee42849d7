// What `protect` covers: only the resources whose loss loses data or the cluster, never a whole
// component. `protect: true` on a component propagates to every child custom resource (Pulumi docs,
// https://www.pulumi.com/docs/iac/concepts/resources/options/protect/), which would also lock IAM
// roles, access entries, subnets and the Kubernetes provider, so that removing an admin role or
// any replacement fails until `pulumi state unprotect`. The VPC and the EKS cluster are children
// of packaged (remote) components (awsx, eks) that the program cannot pass options to directly;
// a `transforms` option reaches them: "Transforms support modifying child resources of packaged
// components (such as those in awsx and eks) whereas Transformations do not"
// (https://www.pulumi.com/docs/iac/concepts/resources/options/transformations/; the option:
// https://www.pulumi.com/docs/iac/concepts/resources/options/transforms/). The engine runs the
// callback for the component and each descendant; it changes the options of the listed types only.
import * as pulumi from "@pulumi/pulumi";

/** The resource types the program protects (where `protect` is on), each for what its loss loses. */
export const PROTECTED = {
  /** Everything else of the stack runs in it; subnets, routes and NAT gateways hold nothing and stay replaceable. */
  vpc: "aws:ec2/vpc:Vpc",
  /** The cluster: its control plane and every workload's state in etcd. */
  eksCluster: "aws:eks/cluster:Cluster",
  /** The shared result cache's data and snapshots. */
  cache: "aws:elasticache/replicationGroup:ReplicationGroup",
  /** The image repository: the images that every stack's release history names (not the build cache). */
  images: "aws:ecr/repository:Repository",
} as const;

export const PROTECTED_TYPES: readonly string[] = Object.values(PROTECTED);

/** A transform that protects the resources of `types` among a component's descendants and leaves the rest as they are. */
export function protectTypes(types: readonly string[]): pulumi.ResourceTransform {
  return (args) => (types.includes(args.type) ? { props: args.props, opts: { ...args.opts, protect: true } } : undefined);
}
