import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../stacks/config";
import { standardLabels } from "../platform/labels";
import { renderAlertRules } from "./alert-rules";
import { dashboardSystems, renderDashboard } from "./dashboards";
import { podMonitorSpec, scrapeTargets } from "./scrape-targets";
import { alertThresholdsFrom, type AlertThresholds } from "./thresholds";

export interface MonitoringArgs {
  /** Namespace of the data tier: the monitors, rules and dashboards live there and select only it. */
  readonly namespace: pulumi.Input<string>;
  /** Alert thresholds (see thresholds.ts); alertThresholdsFrom(cfg) derives them from the stack. */
  readonly thresholds: AlertThresholds;
}

/**
 * What a Prometheus Operator and a Grafana (sidecar) need to watch the data tier: one PodMonitor per
 * system, one PrometheusRule with every paging alert, one dashboard ConfigMap per system. Prometheus
 * must select them by `app.kubernetes.io/part-of: data-platform` (ruleSelector, podMonitorSelector).
 */
export class Monitoring extends pulumi.ComponentResource {
  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("data-platform:monitoring:Monitoring", name, {}, opts);
    const ns = args.thresholds.namespace;
    new k8s.apiextensions.CustomResource(
      `${name}-alerts`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "data-platform-alerts", namespace: args.namespace, labels: standardLabels("data-platform", "alerts") },
        spec: { groups: renderAlertRules(args.thresholds) },
      },
      { parent: this },
    );
    for (const target of scrapeTargets) {
      new k8s.apiextensions.CustomResource(
        `${name}-${target.system}-podmonitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: { name: target.system, namespace: args.namespace, labels: standardLabels(target.system, "monitoring") },
          spec: podMonitorSpec(target, ns),
        },
        { parent: this },
      );
    }
    for (const system of dashboardSystems) {
      new k8s.core.v1.ConfigMap(
        `${name}-${system}-dashboard`,
        {
          metadata: {
            name: `${system}-dashboard`,
            namespace: args.namespace,
            labels: { ...standardLabels(system, "dashboard"), grafana_dashboard: "1" },
            annotations: { grafana_folder: "data-platform" },
          },
          data: { [`${system}.json`]: JSON.stringify(renderDashboard(system, ns), null, 1) },
        },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}

/** Monitoring for a Kubernetes stack with monitoring.enabled; nothing on the local stack. */
export function monitoringFor(cfg: StackConfig, namespace: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions): Monitoring | undefined {
  if (!cfg.monitoring.enabled || cfg.environment === "local") return undefined;
  return new Monitoring("monitoring", { namespace, thresholds: alertThresholdsFrom(cfg) }, opts);
}
