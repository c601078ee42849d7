// The public entry point: a Service in front of the app pods. On AWS it is an NLB
// provisioned by EKS Auto Mode's load balancer controller, targeting pod IPs,
// health-checking the app's readiness endpoint and terminating TLS with an ACM
// certificate when one is configured; locally a NodePort or LoadBalancer Service.
// Two listeners, one per front door: REST (80, or 443 with TLS) and gRPC (8081, TLS too when
// REST has it); both target groups check the pods' HTTP readiness.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { APP_ALPN_POLICY } from "./alpn.js";
import { APP_PORT, GRPC_PORT, HEALTH } from "./inference-service.js";
import type { NlbHealthCheck } from "./rollout-timing.js";

const ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer";

export interface LoadBalancerArgs {
  /** Namespace of the app (required). */
  namespace: pulumi.Input<string>;
  /** Pod labels of the app (required). */
  selector: Record<string, string>;
  /** "nlb" (AWS), "loadBalancer" or "nodePort" (local clusters) (required). */
  type: "nlb" | "loadBalancer" | "nodePort";
  /** ACM certificate ARN; when set the NLB listens with TLS on 443 (default none: plain HTTP on 80). */
  certificateArn?: string;
  /** Internal NLB instead of internet-facing (default false). */
  internal?: boolean;
  /** Node port for type "nodePort" (default 30080). */
  nodePort?: number;
  /** Node port of the gRPC listener for type "nodePort" (default 30081). */
  grpcNodePort?: number;
  /** Client CIDRs allowed in (default ["0.0.0.0/0"]). */
  allowedCidrs?: string[];
  /** Seconds the NLB keeps a deregistering target's connections open: the pod's preStop plus its drain (default 10). */
  deregistrationDelaySeconds?: number;
  /** Target health check of the NLB (default every 10 s, 2 to turn healthy, 2 to turn unhealthy). */
  healthCheck?: NlbHealthCheck;
}

export class LoadBalancer extends pulumi.ComponentResource {
  /** URL clients use, e.g. https://xyz.elb.us-east-1.amazonaws.com */
  public readonly endpointUrl: pulumi.Output<string>;
  /** host:port of the gRPC listener; TLS exactly when endpointUrl is https. */
  public readonly grpcEndpoint: pulumi.Output<string>;
  public readonly hostname: pulumi.Output<string>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:LoadBalancer", name, {}, opts);
    const tls = args.certificateArn !== undefined;
    const hc = args.healthCheck ?? { intervalSeconds: 10, healthyThreshold: 2, unhealthyThreshold: 2 };
    const port = tls ? 443 : 80;
    const scheme = tls ? "https" : "http";
    const annotations: Record<string, string> =
      args.type === "nlb"
        ? {
            [`${ANNOTATION}-scheme`]: args.internal ? "internal" : "internet-facing",
            [`${ANNOTATION}-nlb-target-type`]: "ip",
            [`${ANNOTATION}-healthcheck-protocol`]: "HTTP",
            // The pod's REST port for both target groups: an HTTP/1.1 check on the gRPC port (HTTP/2
            // only) would always fail, and one readiness serves both doors. The port may be a number
            // instead of traffic-port (AWS Load Balancer Controller, Service annotations, healthcheck-port:
            // https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/#healthcheck-port;
            // supported by EKS Auto Mode: https://docs.aws.amazon.com/eks/latest/userguide/auto-configure-nlb.html).
            [`${ANNOTATION}-healthcheck-port`]: String(APP_PORT.number),
            [`${ANNOTATION}-healthcheck-path`]: HEALTH.ready,
            [`${ANNOTATION}-healthcheck-interval`]: String(hc.intervalSeconds),
            [`${ANNOTATION}-healthcheck-healthy-threshold`]: String(hc.healthyThreshold),
            [`${ANNOTATION}-healthcheck-unhealthy-threshold`]: String(hc.unhealthyThreshold),
            [`${ANNOTATION}-target-group-attributes`]: `deregistration_delay.timeout_seconds=${args.deregistrationDelaySeconds ?? 10}`,
            ...(tls
              ? {
                  [`${ANNOTATION}-ssl-cert`]: args.certificateArn as string,
                  // Port names: TLS listeners for both doors (the annotation's port list, same docs, #ssl-ports).
                  [`${ANNOTATION}-ssl-ports`]: `${scheme},${GRPC_PORT.name}`,
                  [`${ANNOTATION}-ssl-negotiation-policy`]: "ELBSecurityPolicy-TLS13-1-2-2021-06",
                  // gRPC clients need h2 negotiated, REST clients http/1.1 (alpn.ts).
                  [`${ANNOTATION}-alpn-policy`]: APP_ALPN_POLICY,
                }
              : {}),
          }
        : {};
    const service = new k8s.core.v1.Service(
      name,
      {
        metadata: { name, namespace: args.namespace, annotations },
        spec: {
          type: args.type === "nodePort" ? "NodePort" : "LoadBalancer",
          ...(args.type === "nlb" ? { loadBalancerClass: "eks.amazonaws.com/nlb" } : {}),
          ...(args.type === "nodePort" ? {} : { loadBalancerSourceRanges: args.allowedCidrs ?? ["0.0.0.0/0"] }),
          externalTrafficPolicy: args.type === "nodePort" ? "Cluster" : "Local",
          selector: args.selector,
          ports: [
            {
              name: scheme,
              port,
              targetPort: APP_PORT.name,
              protocol: "TCP",
              ...(args.type === "nodePort" ? { nodePort: args.nodePort ?? 30080 } : {}),
            },
            {
              name: GRPC_PORT.name,
              port: GRPC_PORT.number,
              targetPort: GRPC_PORT.name,
              protocol: "TCP",
              ...(args.type === "nodePort" ? { nodePort: args.grpcNodePort ?? 30081 } : {}),
            },
          ],
        },
      },
      { parent: this },
    );
    if (args.type === "nodePort") {
      this.hostname = pulumi.output("localhost");
      this.endpointUrl = pulumi.output(`http://localhost:${args.nodePort ?? 30080}`);
      this.grpcEndpoint = pulumi.output(`localhost:${args.grpcNodePort ?? 30081}`);
    } else {
      this.hostname = service.status.loadBalancer.ingress.apply((ing) => ing?.[0]?.hostname ?? ing?.[0]?.ip ?? "");
      this.endpointUrl = pulumi.interpolate`${scheme}://${this.hostname}`;
      this.grpcEndpoint = pulumi.interpolate`${this.hostname}:${GRPC_PORT.number}`;
    }
    this.registerOutputs({ endpointUrl: this.endpointUrl, grpcEndpoint: this.grpcEndpoint });
  }
}
