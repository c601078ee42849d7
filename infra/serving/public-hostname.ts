// The name clients call. An ACM certificate covers the customer's own domain, never the load
// balancer's `…elb.amazonaws.com` name (a client calling that name fails verification, e.g.
// "x509: certificate is valid for <domain>, not …elb.amazonaws.com", kubernetes/kops#6290), so a
// stack with TLS publishes this name and its endpointUrl is built from it. With a Route 53 hosted
// zone the program creates the record: a CNAME to the load balancer's name (Route 53 Developer
// Guide, "Choosing between alias and non-alias records": a CNAME cannot sit at the zone apex, so the
// hostname must be a subdomain of the zone); without one, the record is managed elsewhere.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface PublicHostnameArgs {
  /** DNS name clients call, the one the certificate covers (required). */
  hostname: string;
  /** The load balancer's DNS name the record points at (required). */
  target: pulumi.Input<string>;
  /** URL scheme clients use: https with a certificate (required). */
  scheme: "http" | "https";
  /** Port of the load balancer's gRPC listener (required). */
  grpcPort: number;
  /** Route 53 hosted zone to create the record in (default none: the record is managed elsewhere). */
  hostedZoneId?: string;
  /** Record TTL in seconds: short, so a replaced load balancer is found quickly (default 60). */
  ttl?: number;
}

/** The URL clients use for a hostname. */
export function publicUrl(scheme: "http" | "https", hostname: string): string {
  return `${scheme}://${hostname}`;
}

export class PublicHostname extends pulumi.ComponentResource {
  /** `<scheme>://<hostname>`: the endpoint clients, CI and the smoke test call. */
  public readonly url: pulumi.Output<string>;
  /** `<hostname>:<grpcPort>`: where gRPC clients connect, with TLS when the scheme is https. */
  public readonly grpcEndpoint: pulumi.Output<string>;

  constructor(name: string, args: PublicHostnameArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:PublicHostname", name, {}, opts);
    if (args.hostedZoneId) {
      new aws.route53.Record(
        name,
        { zoneId: args.hostedZoneId, name: args.hostname, type: "CNAME", ttl: args.ttl ?? 60, records: [args.target] },
        { parent: this },
      );
    }
    this.url = pulumi.output(publicUrl(args.scheme, args.hostname));
    this.grpcEndpoint = pulumi.output(`${args.hostname}:${args.grpcPort}`);
    this.registerOutputs({ url: this.url, grpcEndpoint: this.grpcEndpoint });
  }
}
