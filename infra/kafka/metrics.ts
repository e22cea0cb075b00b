import { stringify } from "yaml";

/**
 * Prometheus JMX exporter rules for the brokers and controllers (a trimmed form of Strimzi's
 * examples/metrics/kafka-metrics.yaml): the series the alerts and dashboards use — under-replicated and
 * offline partitions, ISR shrinks, active controller, request rates and latencies, bytes in/out, log size.
 */
export function jmxExporterRules(): string {
  const rules = [
    // Gauges and counters keyed by a clientId/topic/partition, e.g. kafka_server_brokertopicmetrics_bytesin_total.
    {
      pattern: "kafka.server<type=(.+), name=(.+), clientId=(.+), topic=(.+), partition=(.*)><>Value",
      name: "kafka_server_$1_$2",
      type: "GAUGE",
      labels: { clientId: "$3", topic: "$4", partition: "$5" },
    },
    { pattern: "kafka.server<type=(.+), name=(.+), topic=(.+)><>(Count|OneMinuteRate)", name: "kafka_server_$1_$2_$4", type: "COUNTER", labels: { topic: "$3" } },
    { pattern: "kafka.server<type=(.+), name=(.+)><>(Count|OneMinuteRate)", name: "kafka_server_$1_$2_$3", type: "COUNTER" },
    { pattern: "kafka.server<type=(.+), name=(.+)><>Value", name: "kafka_server_$1_$2", type: "GAUGE" },
    { pattern: "kafka.controller<type=(.+), name=(.+)><>(Count|Value)", name: "kafka_controller_$1_$2_$3", type: "GAUGE" },
    {
      pattern: "kafka.network<type=(.+), name=(.+), request=(.+)><>(Count|99thPercentile|Mean)",
      name: "kafka_network_$1_$2_$4",
      type: "GAUGE",
      labels: { request: "$3" },
    },
    { pattern: "kafka.log<type=Log, name=Size, topic=(.+), partition=(.*)><>Value", name: "kafka_log_log_size", type: "GAUGE", labels: { topic: "$1", partition: "$2" } },
    { pattern: "kafka.(\\w+)<type=(.+), name=(.+)><>Value", name: "kafka_$1_$2_$3", type: "GAUGE" },
  ];
  return stringify({ lowercaseOutputName: true, rules });
}
