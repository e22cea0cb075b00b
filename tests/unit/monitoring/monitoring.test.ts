import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runProgram } from "../helpers/mocks";
import { validateAgainstCrd } from "../helpers/crd-validate";
import { renderAlertRules } from "../../../infra/monitoring/alert-rules";
import { renderDashboard } from "../../../infra/monitoring/dashboards";
import { alertThresholdsFrom } from "../../../infra/monitoring/thresholds";
import { readStackFile, repoRoot } from "../../../local/stack-config";

const crdDir = path.resolve(repoRoot, "..", "shared", "crds", "prometheus-operator-v0.93.0");
const RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor";

interface Cr {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

describe.each(["dev", "prod"])("%s: monitoring objects", (stack) => {
  it("one PrometheusRule whose groups are exactly the rendered (promtool-tested) rules, valid against the CRD", async () => {
    const run = await runProgram(stack);
    const rule = run.one(RULE, "monitoring-alerts").inputs as unknown as Cr;
    expect(rule.kind).toBe("PrometheusRule");
    expect(rule.metadata).toMatchObject({ namespace: `data-${stack}`, labels: { "app.kubernetes.io/part-of": "data-platform" } });
    expect(rule.spec.groups).toEqual(renderAlertRules(alertThresholdsFrom(readStackFile(stack))));
    expect(validateAgainstCrd(crdDir, rule.apiVersion, rule.kind, rule)).toEqual([]);
  });

  it("a PodMonitor per system, scoped to the namespace, job relabelled to the system, valid against the CRD", async () => {
    const run = await runProgram(stack);
    const monitors = run.byType(POD_MONITOR).map((r) => r.inputs as unknown as Cr);
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual(["clickhouse", "kafka", "milvus", "postgres", "redis"]);
    for (const m of monitors) {
      expect(validateAgainstCrd(crdDir, m.apiVersion, m.kind, m), m.metadata.name).toEqual([]);
      expect(m.spec.namespaceSelector).toEqual({ matchNames: [`data-${stack}`] });
      for (const e of m.spec.podMetricsEndpoints as { relabelings: unknown[] }[]) {
        expect(e.relabelings).toContainEqual({ action: "replace", targetLabel: "job", replacement: m.metadata.name });
      }
    }
    expect((monitors.find((m) => m.metadata.name === "postgres")!.spec.podMetricsEndpoints as { port: string }[]).map((e) => e.port)).toEqual(["patroni", "metrics"]);
  });

  it("dashboards: one ConfigMap per system, labelled for the Grafana sidecar, valid JSON with the namespace in every query", async () => {
    const run = await runProgram(stack);
    const maps = run.byType("kubernetes:core/v1:ConfigMap").filter((r) => (r.inputs.metadata as { labels?: Record<string, string> }).labels?.grafana_dashboard === "1");
    expect(maps).toHaveLength(5);
    for (const m of maps) {
      const data = m.inputs.data as Record<string, string>;
      const [file] = Object.keys(data);
      const dash = JSON.parse(data[file]) as { uid: string; panels: { targets: { expr: string }[] }[] };
      expect(dash.uid).toBe(`data-platform-${file.replace(/\.json$/, "")}`);
      expect(dash.panels.length).toBeGreaterThanOrEqual(3);
      for (const p of dash.panels) expect(p.targets[0].expr).toContain(`namespace="data-${stack}"`);
    }
  });
});

describe("the CRD check can fail", () => {
  const base = { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "r" } };
  const group = { name: "g", rules: [{ alert: "A", expr: "up == 0", for: "5m" }] };

  it("rejects an unknown field and a malformed duration", () => {
    const errors = validateAgainstCrd(crdDir, base.apiVersion, base.kind, { ...base, spec: { groups: [{ ...group, rules: [{ alert: "A", expr: "up", for: "five minutes", severity: "x" }] }] } });
    expect(errors.join("\n")).toMatch(/unknown field "severity"/);
    expect(errors.join("\n")).toMatch(/for: must match pattern/);
  });

  it("honours the CRD's case-insensitive (Go (?i)) partial_response_strategy pattern", () => {
    expect(validateAgainstCrd(crdDir, base.apiVersion, base.kind, { ...base, spec: { groups: [{ ...group, partial_response_strategy: "WARN" }] } })).toEqual([]);
    expect(validateAgainstCrd(crdDir, base.apiVersion, base.kind, { ...base, spec: { groups: [{ ...group, partial_response_strategy: "ignore" }] } }).join()).toMatch(/partial_response_strategy/);
  });
});

describe("monitoring switches", () => {
  it("local (monitoring.enabled false, no Kubernetes) registers no monitoring objects", async () => {
    const run = await runProgram("local");
    expect(run.resources.filter((r) => r.type.startsWith("data-platform:monitoring:") || r.type.startsWith("kubernetes:monitoring.coreos.com/"))).toEqual([]);
  });

  it("a Kubernetes stack with monitoring.enabled false gets none either", async () => {
    const dev = structuredClone(readStackFile("dev")) as unknown as Record<string, unknown>;
    dev.monitoring = { enabled: false };
    const run = await runProgram(dev);
    expect(run.byType("data-platform:monitoring:Monitoring")).toEqual([]);
  });

  it("thresholds come from the stack: Keeper quorum is a majority, lag bound is maximumLagOnFailover", () => {
    const t = alertThresholdsFrom(readStackFile("prod"));
    expect(t).toMatchObject({ namespace: "data-prod", keeperQuorum: 2, sentinelQuorum: 2, postgresMaxLagBytes: 1048576, redisMinReplicasToWrite: 1 });
  });

  it("an unknown dashboard system is refused, naming the known ones", () => {
    expect(() => renderDashboard("mongo", "x")).toThrow(/no dashboard for system "mongo" \(known: postgres, clickhouse, redis, kafka, milvus\)/);
  });
});
