// Every Helm release any stack declares pins the chart version the shared defaults
// describe, and sets only keys that chart (or its subcharts) has.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { helmReleases, runStack, STACKS } from "../support/pulumi-program.js";
import { chartDefaults, unknownValuePaths } from "../support/helm-values.js";
import { sharedDir } from "../support/shared.js";

const haveCharts = sharedDir("charts") !== undefined;
const chartName = (chart: string) => chart.split("/").pop() ?? chart;

describe("Helm values against the charts' defaults", () => {
  for (const stack of STACKS) {
    it(`${stack}: every release pins the shared chart version and sets only keys the chart has`, async (t) => {
      if (!haveCharts) return t.skip("no ../shared/charts in this checkout");
      const problems: string[] = [];
      for (const release of helmReleases(await runStack(stack))) {
        const name = chartName(String(release.inputs.chart));
        const chart = chartDefaults(name);
        if (!chart) {
          problems.push(`${release.name}: chart ${name} has no defaults in shared/charts`);
          continue;
        }
        if (String(release.inputs.version) !== chart.version) {
          problems.push(`${release.name}: version ${release.inputs.version}, shared defaults are for ${chart.version}`);
        }
        for (const p of unknownValuePaths(release.inputs.values ?? {}, chart)) problems.push(`${release.name}: unknown key ${p}`);
      }
      assert.deepEqual(problems, []);
    });
  }
});

describe("the values check itself", () => {
  it("finds a misspelt key, accepts free-form maps and commented examples, checks subchart keys against the subchart", (t) => {
    const chart = chartDefaults("kube-prometheus-stack");
    if (!chart) return t.skip("no kube-prometheus-stack defaults in this checkout");
    const values = {
      prometheus: { prometheusSpec: { retention: "2d", retentionn: "2d", nodeSelector: { "any/label": "x" } } },
      grafana: { adminUser: "x", adminPassword: "x", adminUsr: "x" },
      global: { anything: true },
    };
    assert.deepEqual(unknownValuePaths(values, chart), ["prometheus.prometheusSpec.retentionn", "grafana.adminUsr"]);
  });
});
