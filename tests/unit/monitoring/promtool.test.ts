import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { stringify } from "yaml";
import { renderAlertRules, renderRuleFile } from "../../../infra/monitoring/alert-rules";
import { dashboardSystems, renderDashboard } from "../../../infra/monitoring/dashboards";
import { alertThresholdsFrom, type AlertThresholds } from "../../../infra/monitoring/thresholds";
import { ensureDebPackages } from "../../../local/install";
import { readStackFile, repoRoot } from "../../../local/stack-config";

// Real promtool (Debian package `prometheus`) against the rules exactly as the stack renders them.
const testsDir = path.join(repoRoot, "tests", "promtool");
const testFiles = fs.readdirSync(testsDir).filter((f) => f.endsWith(".test.yaml")).sort();
const prod = alertThresholdsFrom(readStackFile("prod"));
let work: string;

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** A temp dir holding rules.yaml rendered from `t` next to copies of every promtool test file. */
function stage(t: AlertThresholds): string {
  const dir = fs.mkdtempSync(path.join(work, "stage-"));
  fs.writeFileSync(path.join(dir, "rules.yaml"), renderRuleFile(t));
  for (const f of testFiles) fs.copyFileSync(path.join(testsDir, f), path.join(dir, f));
  return dir;
}

beforeAll(() => {
  ensureDebPackages(["prometheus"], (m) => console.log(m));
  work = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-"));
}, 300_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("alert rules under promtool", () => {
  it("the rendered rule files for dev and prod pass `promtool check rules`", () => {
    for (const stack of ["dev", "prod"]) {
      const dir = fs.mkdtempSync(path.join(work, `${stack}-`));
      fs.writeFileSync(path.join(dir, "rules.yaml"), renderRuleFile(alertThresholdsFrom(readStackFile(stack))));
      const r = promtool(["check", "rules", "rules.yaml"], dir);
      expect(r.status, r.output).toBe(0);
    }
  });

  it.each(testFiles)("promtool test rules %s passes on the prod rules", (file) => {
    const r = promtool(["test", "rules", file], stage(prod));
    expect(r.status, r.output).toBe(0);
  });

  it("every alert that ships has a promtool case where it fires", () => {
    const fired = new Set<string>();
    for (const f of testFiles) {
      const doc = parse(fs.readFileSync(path.join(testsDir, f), "utf8")) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] };
      for (const t of doc.tests) for (const a of t.alert_rule_test ?? []) if (a.exp_alerts?.length) fired.add(a.alertname);
    }
    const shipped = renderAlertRules(prod).flatMap((g) => g.rules.map((r) => r.alert));
    expect(shipped.filter((a) => !fired.has(a))).toEqual([]);
    expect(shipped.length).toBeGreaterThanOrEqual(19);
  });

  it("every dashboard query is valid PromQL (checked by promtool as recording rules)", () => {
    const rules = dashboardSystems.flatMap((system) =>
      (renderDashboard(system, "data-prod").panels as { targets: { expr: string }[] }[]).map((p, i) => ({ record: `dashboard:${system}:panel${i + 1}`, expr: p.targets[0].expr })),
    );
    const dir = fs.mkdtempSync(path.join(work, "dashboards-"));
    fs.writeFileSync(path.join(dir, "panels.yaml"), stringify({ groups: [{ name: "dashboards", rules }] }));
    const r = promtool(["check", "rules", "panels.yaml"], dir);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it("the tests can fail: a looser replication-lag threshold breaks the Postgres case", () => {
    const r = promtool(["test", "rules", "postgres.test.yaml"], stage({ ...prod, postgresMaxLagBytes: 100 * 1024 * 1024 }));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/PostgresReplicationLagTooHigh/);
  });
});
