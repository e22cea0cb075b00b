import type { ServiceAccess } from "./types";

/**
 * Who writes and reads which topics, and as which consumer groups. Each entry becomes a KafkaUser
 * with exactly these ACLs on Kubernetes.
 */
export const services: readonly ServiceAccess[] = [
  { service: "market-data", produces: ["market.ticks", "market.quotes"], consumes: [], groups: [] },
  { service: "order-service", produces: ["orders", "orders.dlq"], consumes: ["trades"], groups: ["order-service"] },
  { service: "execution-engine", produces: ["trades", "trades.dlq"], consumes: ["orders"], groups: ["execution-engine"] },
  { service: "portfolio-service", produces: ["portfolio.updates"], consumes: ["trades", "market.ticks"], groups: ["portfolio-service"] },
  { service: "risk-service", produces: [], consumes: ["portfolio.updates", "market.ticks", "market.quotes"], groups: ["risk-service"] },
  {
    service: "clickhouse-sink",
    produces: ["market.ticks.dlq"],
    consumes: ["market.ticks", "market.quotes", "trades", "orders", "cdc.*"],
    groups: ["clickhouse-sink"],
  },
  { service: "cdc-connect", produces: ["cdc.*"], consumes: [], groups: ["cdc-connect"] },
];
