// What each kind of local cluster needs from the local stack, by its tools' documented rules:
// the kubeconfig context its tool writes, how an image built into the host's Docker daemon
// reaches its nodes, and whether node-exporter may mount the node's root file system.

/** The local clusters the local stack knows; "other" gets nothing done for it. */
export const LOCAL_CLUSTERS = ["kind", "minikube", "docker-desktop", "other"] as const;
export type LocalClusterKind = (typeof LOCAL_CLUSTERS)[number];

export interface LocalCluster {
  kind: LocalClusterKind;
  /** kind's cluster name or minikube's profile; see CLUSTER_NAME_DEFAULTS. */
  name?: string;
}

/** Kinds that name their clusters, with the name their tool uses when none is given. */
export const CLUSTER_NAME_DEFAULTS: Partial<Record<LocalClusterKind, string>> = {
  // kind: "Default cluster context name is `kind`" (https://kind.sigs.k8s.io/docs/user/quick-start/#interacting-with-your-cluster).
  kind: "kind",
  // minikube: the default profile, `-p, --profile ... (default "minikube")` (https://minikube.sigs.k8s.io/docs/commands/profile/).
  minikube: "minikube",
};

const nameOf = (c: LocalCluster): string => c.name ?? CLUSTER_NAME_DEFAULTS[c.kind] ?? "";

/**
 * The kubeconfig context the cluster's tool writes; undefined for "other" (the current context).
 * kind: `kind-<name>` ("kubectl cluster-info --context kind-kind", kind quick start);
 * minikube: the profile's name (`minikube start -p <profile>` configures kubectl to use it);
 * Docker Desktop: `docker-desktop` (https://docs.docker.com/desktop/use-desktop/kubernetes/).
 */
export function kubeContextOf(c: LocalCluster): string | undefined {
  switch (c.kind) {
    case "kind":
      return `kind-${nameOf(c)}`;
    case "minikube":
      return nameOf(c);
    case "docker-desktop":
      return "docker-desktop";
    case "other":
      return undefined;
  }
}

/**
 * The command that copies an image from the host's Docker daemon onto the cluster's nodes,
 * or undefined where nothing has to be copied (or nothing can be known: "other").
 * kind: `kind load docker-image <image> --name <cluster>` (kind quick start, "Loading an Image
 * Into Your Cluster", https://kind.sigs.k8s.io/docs/user/quick-start/#loading-an-image-into-your-cluster).
 * minikube: `minikube image load <image>` into the profile's container runtime, any runtime
 * (handbook "Pushing images", https://minikube.sigs.k8s.io/docs/handbook/pushing/).
 * Docker Desktop: its kubeadm cluster uses the Docker image store and its kind cluster the
 * containerd image store, the one `docker build` writes when that store is on (table "Cluster
 * provisioning method", https://docs.docker.com/desktop/use-desktop/kubernetes/#cluster-provisioning-method).
 */
export function imageLoadCommand(c: LocalCluster, image: string): string[] | undefined {
  switch (c.kind) {
    case "kind":
      return ["kind", "load", "docker-image", image, "--name", nameOf(c)];
    case "minikube":
      return ["minikube", "image", "load", image, "--profile", nameOf(c)];
    case "docker-desktop":
    case "other":
      return undefined;
  }
}

/**
 * Whether the node's / is a shared mount, which node-exporter's root mount (mountPropagation
 * HostToContainer) needs: on Docker Desktop's kubeadm node it is not, and the container never
 * starts ("path / is mounted on / but it is not a shared or slave mount",
 * prometheus-community/helm-charts#325 on Docker Desktop for Windows, #467 whose fix is the
 * chart's hostRootFsMount switch). kind's and minikube's node containers make it shared at start
 * (`mount --make-rshared /` "for mount propagation": kubernetes-sigs/kind
 * images/base/files/usr/local/bin/entrypoint, kubernetes/minikube deploy/kicbase/entrypoint).
 */
export function rootIsSharedMount(kind: LocalClusterKind): boolean {
  return kind !== "docker-desktop";
}

/**
 * The image platform of a host's architecture (Node's `process.arch`), the architecture of the
 * nodes a local cluster runs in Docker on that host; undefined for hosts the image is not built for.
 */
export function hostPlatform(arch: string): "linux/amd64" | "linux/arm64" | undefined {
  if (arch === "x64") return "linux/amd64";
  if (arch === "arm64") return "linux/arm64";
  return undefined;
}
