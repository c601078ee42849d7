// Local clusters by their tools' documented rules: the context each tool writes, the command
// that copies an image from the host's Docker daemon onto its nodes, whether its nodes' / is a
// shared mount, and the image platform of the host they run on.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hostPlatform, imageLoadCommand, kubeContextOf, LOCAL_CLUSTERS, rootIsSharedMount } from "../../../infra/cluster/local-cluster.js";

const IMAGE = "inference-platform-app:cpu-0123456789ab";

describe("kubeContextOf", () => {
  it("is kind-<cluster name> for kind, the profile for minikube, docker-desktop for Docker Desktop", () => {
    assert.equal(kubeContextOf({ kind: "kind" }), "kind-kind");
    assert.equal(kubeContextOf({ kind: "kind", name: "inference" }), "kind-inference");
    assert.equal(kubeContextOf({ kind: "minikube" }), "minikube");
    assert.equal(kubeContextOf({ kind: "minikube", name: "ml" }), "ml");
    assert.equal(kubeContextOf({ kind: "docker-desktop" }), "docker-desktop");
  });

  it("leaves other clusters on the current context", () => {
    assert.equal(kubeContextOf({ kind: "other" }), undefined);
  });
});

describe("imageLoadCommand", () => {
  it("loads into kind's named cluster, its default one being \"kind\"", () => {
    assert.deepEqual(imageLoadCommand({ kind: "kind" }, IMAGE), ["kind", "load", "docker-image", IMAGE, "--name", "kind"]);
    assert.deepEqual(imageLoadCommand({ kind: "kind", name: "inference" }, IMAGE), ["kind", "load", "docker-image", IMAGE, "--name", "inference"]);
  });

  it("loads into minikube's profile, its default one being \"minikube\"", () => {
    assert.deepEqual(imageLoadCommand({ kind: "minikube" }, IMAGE), ["minikube", "image", "load", IMAGE, "--profile", "minikube"]);
    assert.deepEqual(imageLoadCommand({ kind: "minikube", name: "ml" }, IMAGE), ["minikube", "image", "load", IMAGE, "--profile", "ml"]);
  });

  it("copies nothing for Docker Desktop, whose cluster reads the daemon's image store, nor for other clusters", () => {
    assert.equal(imageLoadCommand({ kind: "docker-desktop" }, IMAGE), undefined);
    assert.equal(imageLoadCommand({ kind: "other" }, IMAGE), undefined);
  });
});

describe("rootIsSharedMount", () => {
  it("is false on Docker Desktop only", () => {
    assert.deepEqual(
      LOCAL_CLUSTERS.filter((k) => !rootIsSharedMount(k)),
      ["docker-desktop"],
    );
  });
});

describe("hostPlatform", () => {
  it("maps Node's x64 and arm64 to the Linux image platforms", () => {
    assert.equal(hostPlatform("x64"), "linux/amd64");
    assert.equal(hostPlatform("arm64"), "linux/arm64");
  });

  it("has no platform for hosts the image is not built for", () => {
    assert.equal(hostPlatform("ia32"), undefined);
    assert.equal(hostPlatform("s390x"), undefined);
  });
});
