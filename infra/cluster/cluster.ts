// The EKS cluster in EKS Auto Mode: AWS runs Karpenter, the VPC CNI, CoreDNS,
// the EBS CSI driver, the load balancer controller and the NVIDIA device plugin
// on the nodes it launches, so this component owns no add-on of its own. Access
// is by access entries (no aws-auth ConfigMap); workloads get AWS roles through
// Pod Identity (agent built in) or the OIDC provider created here.
import * as pulumi from "@pulumi/pulumi";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import { PROTECTED, protectTypes } from "../protection.js";

export interface ClusterArgs {
  /** EKS cluster name (required). */
  clusterName: string;
  /** Kubernetes minor version, e.g. "1.33" (required). */
  version: string;
  /** VPC to run in (required). */
  vpcId: pulumi.Input<string>;
  /**
   * The cluster's subnets: the control plane's network interfaces and the nodes of Auto Mode's
   * built-in pools, whose default NodeClass selects the cluster's subnets (required). Private only:
   * internet-facing load balancers find the public subnets by their kubernetes.io/role/elb tag
   * (AWS Load Balancer Controller, "Subnet auto-discovery"), not through the cluster.
   */
  privateSubnetIds: pulumi.Input<string[]>;
  /** Whether the API endpoint is reachable from the internet; `pulumi up` must reach it (default true). */
  publicEndpoint?: boolean;
  /** Client CIDRs allowed to the public endpoint (default ["0.0.0.0/0"]). */
  publicAccessCidrs?: string[];
  /** IAM roles given cluster-admin by access entry (default none; the creator is admin anyway). */
  adminRoleArns?: string[];
  /** CI's deploy role, given cluster-admin by access entry (required). */
  deployRoleArn: string;
  /** CI's read-only preview role, given read access (Secrets included) by access entry (required). */
  previewRoleArn: string;
  /** Refuse deletion of the cluster in AWS too (default false). */
  deletionProtection?: boolean;
  /** Protect the EKS cluster itself, not its roles, access entries or providers (../protection.ts) (default false). */
  protect?: boolean;
  /** Tags for AWS resources (default none). */
  tags?: Record<string, string>;
}

const ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy";

/**
 * Access entries of the cluster. The creator's admin rights come from bootstrap permissions and
 * belong to whoever ran the first `pulumi up`, so CI's roles get entries of their own, each with
 * the least policy its job needs (EKS User Guide, "Review access policy permissions"):
 * - deploy (pulumi up, promote, rollback): AmazonEKSClusterAdminPolicy, since the program creates
 *   cluster-scoped objects (namespaces, CRDs through Helm charts, ClusterRoles);
 * - preview: AmazonEKSAdminViewPolicy, read-only over every resource, Secrets included, because
 *   Helm keeps its release records in Secrets and a preview of a Helm release reads them.
 */
export function clusterAccessEntries(args: Pick<ClusterArgs, "adminRoleArns" | "deployRoleArn" | "previewRoleArn">) {
  const entry = (principalArn: string, policy: string) => ({
    principalArn,
    accessPolicies: { [policy]: { policyArn: `${ACCESS_POLICY}/${policy}`, accessScope: { type: "cluster" } } },
  });
  return {
    ...Object.fromEntries((args.adminRoleArns ?? []).map((arn, i) => [`admin-${i}`, entry(arn, "AmazonEKSClusterAdminPolicy")])),
    "ci-deploy": entry(args.deployRoleArn, "AmazonEKSClusterAdminPolicy"),
    "ci-preview": entry(args.previewRoleArn, "AmazonEKSAdminViewPolicy"),
  };
}

export class Cluster extends pulumi.ComponentResource {
  public readonly clusterName: string;
  /** Kubeconfig as JSON text, a secret. */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly oidcProviderArn: pulumi.Output<string>;
  /** Security group of the cluster, which Auto Mode nodes (and so pods) carry: allow it into VPC services. */
  public readonly securityGroupId: pulumi.Output<string>;
  /** Kubernetes provider bound to this cluster. */
  public readonly provider: k8s.Provider;
  /** IAM role name of Auto Mode's nodes (EKS gives it the EC2 access entry custom NodeClasses need). */
  public readonly nodeRoleName: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:Cluster", name, {}, opts);
    const accessEntries = clusterAccessEntries(args);
    const cluster = new eks.Cluster(
      name,
      {
        name: args.clusterName,
        version: args.version,
        vpcId: args.vpcId,
        privateSubnetIds: args.privateSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: args.publicEndpoint ?? true,
        publicAccessCidrs: args.publicAccessCidrs ?? ["0.0.0.0/0"],
        authenticationMode: eks.AuthenticationMode.Api,
        accessEntries,
        // Built-in pools carry the system add-ons and CPU workloads; GPU pools come from GpuNodePools.
        autoMode: { enabled: true, createNodeRole: true, computeConfig: { nodePools: ["system", "general-purpose"] } },
        createOidcProvider: true,
        enabledClusterLogTypes: ["api", "audit", "authenticator"],
        deletionProtection: args.deletionProtection ?? false,
        tags: args.tags,
      },
      // The cluster is a child of the eks component, reached through a transform.
      { parent: this, transforms: args.protect ? [protectTypes([PROTECTED.eksCluster])] : [] },
    );
    this.clusterName = args.clusterName;
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.securityGroupId = cluster.clusterSecurityGroupId;
    this.nodeRoleName = cluster.autoModeNodeRoleName;
    this.provider = new k8s.Provider(
      name,
      { kubeconfig: cluster.kubeconfigJson, enableServerSideApply: true },
      { parent: this },
    );
    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, oidcProviderArn: this.oidcProviderArn });
  }
}
