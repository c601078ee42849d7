// The local stack's image on each kind of local cluster: built into the host's Docker daemon,
// copied onto the nodes where they do not read that daemon (kind, minikube) before the Deployment
// that runs it, never pulled (no registry holds it); the AWS stacks pull from their registry.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { LocalClusterKind } from "../../../infra/cluster/local-cluster.js";
import { ofType, one, runStack, stackWith, type ProgramRun } from "../../support/pulumi-program.js";

const COMMAND = "command:local:Command";
const IMAGE = "docker-build:index:Image";

const appDeployment = (run: ProgramRun) => {
  const [deployment] = ofType(run, "kubernetes:apps/v1:Deployment").filter((r) => r.name === "inference");
  assert.ok(deployment, `${run.stack}: the inference Deployment`);
  return deployment;
};

const CLUSTERS: { local: { cluster: LocalClusterKind; clusterName?: string }; load?: (ref: string) => string }[] = [
  { local: { cluster: "kind" }, load: (ref) => `kind load docker-image ${ref} --name kind` },
  { local: { cluster: "kind", clusterName: "inference" }, load: (ref) => `kind load docker-image ${ref} --name inference` },
  { local: { cluster: "minikube", clusterName: "ml" }, load: (ref) => `minikube image load ${ref} --profile ml` },
  { local: { cluster: "docker-desktop" } },
  { local: { cluster: "other" } },
];

for (const { local, load } of CLUSTERS) {
  describe(`local stack on ${local.cluster}${local.clusterName ? ` "${local.clusterName}"` : ""}`, () => {
    // One program run per cluster, shared by the specs below.
    let run: Promise<ProgramRun> | undefined;
    const program = () => (run ??= runStack(stackWith("local", { local })));

    if (load) {
      it("copies the built image onto the cluster's nodes, again after each build", async () => {
        const r = await program();
        const command = one(r, COMMAND);
        const ref = String(r.outputs.imageRef);
        assert.equal(command.inputs.create, load(ref));
        const image = one(r, IMAGE);
        assert.ok(command.opts.dependsOn.includes(image.urn), "the load runs after the build");
        assert.deepEqual(command.inputs.triggers, [image.state.digest], "a new build is loaded again");
      });

      it("starts the Deployment only once the image is on the nodes", async () => {
        const r = await program();
        assert.ok(appDeployment(r).opts.dependsOn.includes(one(r, COMMAND).urn));
      });
    } else {
      it("copies nothing: the nodes read the daemon's images, or the cluster is the user's business", async () => {
        assert.deepEqual(ofType(await program(), COMMAND), []);
      });
    }

    it("never pulls the image, which no registry holds", async () => {
      const r = await program();
      const container = appDeployment(r).inputs.spec.template.spec.containers[0];
      assert.equal(container.image, r.outputs.imageRef);
      assert.equal(container.imagePullPolicy, "Never");
    });
  });
}

describe("AWS stacks pull their image", () => {
  it("from the registry, if not on the node yet, and load nothing", async () => {
    const r = await runStack("dev");
    assert.equal(appDeployment(r).inputs.spec.template.spec.containers[0].imagePullPolicy, "IfNotPresent");
    assert.deepEqual(ofType(r, COMMAND), []);
  });
});
