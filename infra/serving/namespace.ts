// The namespace the app and its data-layer neighbours run in, with Pod Security
// admission labels: baseline is enforced, restricted (what the app meets) is warned
// about and audited, so a chart that slips shows up without breaking a deploy.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface AppNamespaceArgs {
  /** Namespace name (required). */
  name: string;
  /** Pod Security level to enforce (default "baseline"). */
  enforce?: "privileged" | "baseline" | "restricted";
}

export class AppNamespace extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: AppNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:AppNamespace", name, {}, opts);
    const ns = new k8s.core.v1.Namespace(
      name,
      {
        metadata: {
          name: args.name,
          labels: {
            "pod-security.kubernetes.io/enforce": args.enforce ?? "baseline",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
          },
        },
      },
      { parent: this },
    );
    this.name = ns.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
