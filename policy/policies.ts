// The pack's policies: each pure check from checks.ts wrapped as a CrossGuard resource or stack
// validation. Every policy is mandatory by default; policy/config/<stack>.json turns off the ones
// an environment does not need (e.g. digest pinning in local and dev).
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as checks from "./checks";

function subjectOfResource(args: ResourceValidationArgs): checks.Subject {
  return { type: args.type, name: args.name, props: args.props, protect: args.opts.protect };
}

function subjectOfStackResource(r: PolicyResource): checks.Subject {
  return { type: r.type, name: r.name, props: r.props, protect: r.opts.protect };
}

function report(violations: string[], reportViolation: ReportViolation): void {
  for (const v of violations) reportViolation(v);
}

function resourcePolicy(name: string, description: string, check: checks.ResourceCheck): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => report(check(subjectOfResource(args)), reportViolation),
  };
}

function stackPolicy(name: string, description: string, check: checks.StackCheck): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => report(check(args.resources.map(subjectOfStackResource)), reportViolation),
  };
}

export const policies = [
  resourcePolicy("container-resources", "Containers declare cpu and memory requests and a memory limit.", checks.containerResources),
  resourcePolicy("images-pinned-by-digest", "Container images are pinned by digest.", checks.imagesPinnedByDigest),
  resourcePolicy("non-root-unprivileged", "No privileged containers; none runs as root.", checks.nonRootUnprivileged),
  resourcePolicy("gpu-pods-tolerate-and-request", "GPU pods tolerate the nvidia.com/gpu taint and request nvidia.com/gpu.", checks.gpuPodsTolerateAndRequest),
  resourcePolicy("gpu-nodes-tainted", "GPU NodePools taint their nodes nvidia.com/gpu:NoSchedule.", checks.gpuNodesTainted),
  resourcePolicy("elasticache-encrypted-auth", "ElastiCache is encrypted in transit and at rest and requires AUTH.", checks.elastiCacheEncrypted),
  resourcePolicy("nodes-in-private-subnets", "Cluster nodes run in private subnets without public IPs.", checks.nodesInPrivateSubnets),
  stackPolicy("node-groups-in-private-subnets", "Node groups use no subnet that assigns public IPs.", checks.nodeGroupsInPrivateSubnets),
  resourcePolicy("ci-access-entries", "EKS clusters give CI's deploy and preview roles access entries.", checks.ciAccessEntries),
  resourcePolicy("stateful-protected", "Stateful resources (cache, registry, cluster, VPC) are protected; components are not.", checks.statefulProtected),
  resourcePolicy("load-balancer-tls", "Load balancers terminate TLS.", checks.loadBalancerTls),
  stackPolicy("deployments-have-pdb", "Replicated Deployments are covered by a PodDisruptionBudget.", checks.deploymentsHavePdb),
  stackPolicy("alerts-present", "The stack declares Prometheus alerts.", checks.alertsPresent),
];
