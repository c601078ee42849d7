// Monitoring as each stack declares it: kube-prometheus-stack pinned and sized by
// the stack, Grafana's password as a secret, the app's PodMonitor, alert rules
// with the stack's thresholds, the dashboard for the sidecar, DCGM on GPU stacks, and
// node-exporter's root mount only where the node allows it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ALERT_NAMES, alertRuleGroups } from "../../../infra/observability/alerts.js";
import { hpaName } from "../../../infra/serving/autoscaling.js";
import { DASHBOARD_UID } from "../../../infra/observability/dashboards.js";
import { parseConfig } from "../../../infra/config.js";
import { readStackConfig } from "../../../scripts/lib/mock-program.js";
import { runStack, helmReleases, ofType, one, stackFile, stackWith, STACKS, type ProgramRun, type RecordedResource } from "../../support/pulumi-program.js";
import { chartDefaults, unknownValuePaths } from "../../support/helm-values.js";

function release(run: ProgramRun, chart: string): RecordedResource | undefined {
  return helmReleases(run).find((r) => r.inputs.chart === chart);
}

function cr(run: ProgramRun, kind: string): RecordedResource {
  return one(run, `kubernetes:monitoring.coreos.com/v1:${kind}`);
}

const sizing = {
  local: { retention: "1d", storage: undefined, grafana: undefined, replicas: 1, slo: 1 },
  dev: { retention: "3d", storage: undefined, grafana: undefined, replicas: 1, slo: 1 },
  staging: { retention: "7d", storage: "50Gi", grafana: "5Gi", replicas: 1, slo: 0.5 },
  prod: { retention: "15d", storage: "100Gi", grafana: "10Gi", replicas: 2, slo: 0.3 },
} as const;

for (const stack of STACKS) {
  const want = sizing[stack];
  describe(`${stack}: monitoring`, () => {
    it("installs kube-prometheus-stack 88.5.3 from its Helm repository", async () => {
      const r = release(await runStack(stack), "kube-prometheus-stack");
      assert.ok(r, "kube-prometheus-stack release");
      assert.equal(r.inputs.version, "88.5.3");
      assert.equal(r.inputs.repositoryOpts.repo, "https://prometheus-community.github.io/helm-charts");
      assert.equal(r.inputs.namespace, "monitoring");
    });

    it("sizes Prometheus and its storage by the stack", async () => {
      const v = release(await runStack(stack), "kube-prometheus-stack")!.inputs.values;
      const spec = v.prometheus.prometheusSpec;
      assert.equal(spec.retention, want.retention);
      assert.equal(spec.replicas, want.replicas);
      assert.equal(spec.storageSpec?.volumeClaimTemplate.spec.resources.requests.storage, want.storage);
      assert.equal(v.grafana.persistence.enabled, want.grafana !== undefined);
      assert.equal(v.grafana.persistence.size, want.grafana);
      // Prometheus must pick up our PodMonitor and rules, which carry no release label.
      assert.equal(spec.podMonitorSelectorNilUsesHelmValues, false);
      assert.equal(spec.ruleSelectorNilUsesHelmValues, false);
    });

    it("takes Grafana's admin password from a Secret holding a generated Pulumi secret", async () => {
      const run = await runStack(stack);
      const admin = release(run, "kube-prometheus-stack")!.inputs.values.grafana.admin;
      const secret = ofType(run, "kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === admin.existingSecret);
      assert.ok(secret, `Secret ${admin.existingSecret}`);
      assert.equal(secret.inputs.metadata.namespace, "monitoring");
      const password = ofType(run, "random:index/randomPassword:RandomPassword").find((p) => p.name === "monitoring-grafana-admin");
      assert.equal(secret.inputs.stringData[admin.passwordKey], password?.state.result);
      assert.ok(secret.secrets.includes("stringData"), "the password must be a Pulumi secret");
      assert.equal(run.outputs.grafanaAdminPassword, password?.state.result);
      assert.ok(!JSON.stringify(release(run, "kube-prometheus-stack")!.inputs.values).includes(String(password?.state.result)));
    });

    it("scrapes the app's pods on their metrics port with a PodMonitor", async () => {
      const run = await runStack(stack);
      const pm = cr(run, "PodMonitor").inputs;
      const deployment = ofType(run, "kubernetes:apps/v1:Deployment").find((d) => d.name === "inference")!.inputs;
      assert.equal(pm.metadata.namespace, deployment.metadata.namespace);
      assert.deepEqual(pm.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
      const port = pm.spec.podMetricsEndpoints[0];
      assert.equal(port.path, "/metrics");
      assert.ok(deployment.spec.template.spec.containers[0].ports.some((p: { name: string }) => p.name === port.port));
    });

    it("lets Prometheus through the app's NetworkPolicy", async () => {
      const run = await runStack(stack);
      const policy = ofType(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => p.name === "inference")!.inputs.spec;
      const fromNamespaces = policy.ingress.flatMap((r: { from: any[] }) => r.from.map((f) => f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"]));
      assert.ok(fromNamespaces.includes("monitoring"));
    });

    it("deploys the alert rules generated with the stack's thresholds", async () => {
      const run = await runStack(stack);
      const cfg = parseConfig(readStackConfig(stackFile(stack)).config);
      const rule = cr(run, "PrometheusRule").inputs;
      const pm = cr(run, "PodMonitor").inputs;
      const expected = alertRuleGroups(
        {
          app: { namespace: cfg.app.namespace, job: `${pm.metadata.namespace}/${pm.metadata.name}` },
          deployment: "inference",
          hpa: hpaName("inference"),
          gpu: cfg.gpuPools.length > 0,
        },
        cfg.monitoring.alerts,
      );
      assert.deepEqual(rule.spec.groups, expected);
      const latency = rule.spec.groups[0].rules.find((r: { alert: string }) => r.alert === "InferenceLatencyP99AboveSLO");
      assert.match(latency.expr, new RegExp(` > ${want.slo}$`));
      const names = rule.spec.groups[0].rules.map((r: { alert: string }) => r.alert);
      assert.equal(names.includes("InferenceGpuMemoryPressure"), cfg.gpuPools.length > 0);
      assert.equal(names.length, ALERT_NAMES.length - (cfg.gpuPools.length > 0 ? 0 : 1));
    });

    it("ships the dashboard in a ConfigMap that Grafana's sidecar watches", async () => {
      const run = await runStack(stack);
      const sidecar = release(run, "kube-prometheus-stack")!.inputs.values.grafana.sidecar.dashboards;
      const cm = ofType(run, "kubernetes:core/v1:ConfigMap").find((c) => c.name === "monitoring-dashboard")!.inputs;
      assert.equal(cm.metadata.labels[sidecar.label], sidecar.labelValue);
      assert.equal(sidecar.enabled, true);
      const model = JSON.parse(cm.data["inference-platform.json"]);
      assert.equal(model.uid, DASHBOARD_UID);
      const latency = model.panels.find((p: { title: string }) => p.title === "Latency p50 / p95 / p99");
      assert.equal(latency.fieldConfig.defaults.thresholds.steps[1].value, want.slo);
    });

    it("runs the DCGM exporter 4.8.2 exactly where the stack has GPU nodes, tolerating their taint", async () => {
      const run = await runStack(stack);
      const cfg = parseConfig(readStackConfig(stackFile(stack)).config);
      const dcgm = release(run, "dcgm-exporter");
      assert.equal(dcgm !== undefined, cfg.gpuPools.length > 0);
      if (dcgm) {
        assert.equal(dcgm.inputs.version, "4.8.2");
        assert.equal(dcgm.inputs.repositoryOpts.repo, "https://nvidia.github.io/dcgm-exporter/helm-charts");
        assert.deepEqual(dcgm.inputs.values.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
        assert.equal(dcgm.inputs.values.serviceMonitor.honorLabels, true, "keeps the GPU user's pod and namespace labels");
      }
    });

    it("exports where Prometheus and Grafana are", async () => {
      const run = await runStack(stack);
      assert.equal(run.outputs.prometheusUrl, "http://prometheus-operated.monitoring.svc:9090");
      assert.equal(run.outputs.grafanaService, "monitoring/kube-prometheus-stack-grafana");
    });
  });
}

describe("monitoring configuration", () => {
  it("requires each stack to state its latency SLO", () => {
    const { config } = readStackConfig(stackFile("prod"));
    config["inference-platform:monitoring"] = JSON.stringify({ alerts: { errorRatio: 0.01 } });
    assert.throws(() => parseConfig(config), /monitoring\.alerts\.latencyP99Seconds: each stack states its p99 latency SLO/);
  });

  it("refuses a ratio threshold outside 0..1 and a malformed retention, naming each key", () => {
    const { config } = readStackConfig(stackFile("dev"));
    config["inference-platform:monitoring"] = JSON.stringify({ retention: "2 days", alerts: { latencyP99Seconds: 1, errorRatio: 5 } });
    assert.throws(() => parseConfig(config), (e: Error) => {
      assert.match(e.message, /monitoring\.retention: must be a Prometheus duration such as "30s", "15m", "2d" \(got "2 days"\)/);
      assert.match(e.message, /monitoring\.alerts\.errorRatio: .*\(got 5\)/);
      return true;
    });
  });
});

describe("AWS stacks give the volumes an encrypted gp3 StorageClass", () => {
  it("creates it in AWS stacks only", async () => {
    for (const stack of STACKS) {
      const classes = ofType(await runStack(stack), "kubernetes:storage.k8s.io/v1:StorageClass");
      if (stack === "local") {
        assert.equal(classes.length, 0);
      } else {
        assert.equal(classes.length, 1, stack);
        assert.equal(classes[0]!.inputs.provisioner, "ebs.csi.eks.amazonaws.com");
        assert.deepEqual(classes[0]!.inputs.parameters, { type: "gp3", encrypted: "true" });
      }
    }
  });
});

describe("node-exporter's root file system mount", () => {
  const nodeExporterOf = async (cluster: string) =>
    release(await runStack(stackWith("local", { local: { cluster } })), "kube-prometheus-stack")!.inputs.values["prometheus-node-exporter"];

  it("is off on Docker Desktop, whose node's / is not a shared mount, with a key the subchart has", async (t) => {
    const values = { "prometheus-node-exporter": await nodeExporterOf("docker-desktop") };
    assert.deepEqual(values["prometheus-node-exporter"], { hostRootFsMount: { enabled: false } });
    const chart = chartDefaults("kube-prometheus-stack");
    if (!chart) return t.skip("no kube-prometheus-stack defaults in this checkout");
    assert.deepEqual(unknownValuePaths(values, chart), []);
  });

  it("stays the chart's (on) on kind, minikube, other clusters and EKS", async (t) => {
    for (const cluster of ["kind", "minikube", "other"]) assert.equal(await nodeExporterOf(cluster), undefined, cluster);
    assert.equal(release(await runStack("dev"), "kube-prometheus-stack")!.inputs.values["prometheus-node-exporter"], undefined);
    const subchart = chartDefaults("prometheus-node-exporter");
    if (!subchart) return t.skip("no prometheus-node-exporter defaults in this checkout");
    assert.deepEqual(subchart.values.hostRootFsMount, { enabled: true, mountPropagation: "HostToContainer" });
  });
});
