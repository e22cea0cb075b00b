import { CDC_PUBLICATION, CDC_TABLES, CDC_TOPIC_PREFIX, HEARTBEAT_PREFIX, slotName } from "./flows";

/** Where the Debezium connector reads from; the password is passed separately so it can stay secret. */
export interface DebeziumSource {
  /** Host that always reaches the primary (the Patroni primary Service, or the local primary proxy). */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /**
   * The password as the connector config should carry it: a literal locally, a config provider
   * reference on Kubernetes (`${secrets:ns/secret:password}`), never a literal in a CR.
   */
  readonly password: string;
  /**
   * Debezium's database.sslmode: "require" on Kubernetes, where the server refuses plain connections from
   * the pod network (hostssl); "disable" for the local tier. Defaults to "require".
   */
  readonly sslmode?: "disable" | "require";
}

export interface DebeziumOptions {
  /** Heartbeat period in ms; keeps the slot advancing when the streamed tables are quiet. Defaults to 10000. */
  readonly heartbeatIntervalMs?: number;
  /** Wait before a failed task (e.g. primary gone) restarts, in ms. Defaults to 3000. */
  readonly retryWaitMs?: number;
}

/**
 * The Debezium PostgreSQL connector config (KafkaConnector spec.config on Kubernetes, PUT
 * /connectors/<name>/config locally). pgoutput needs no server plugin; the publication comes from the
 * migrations (autocreate off, so the connector needs no table ownership); numerics travel as exact
 * decimal strings; two routers map table topics onto the declared names.
 */
export function debeziumConnectorConfig(src: DebeziumSource, opts: DebeziumOptions = {}): Record<string, string> {
  const routes: Record<string, string> = {};
  const names: string[] = [];
  CDC_TABLES.forEach((t, i) => {
    const natural = `${CDC_TOPIC_PREFIX}.${t.table}`;
    if (natural === t.topic) return;
    const name = `route${i}`;
    names.push(name);
    routes[`transforms.${name}.type`] = "org.apache.kafka.connect.transforms.RegexRouter";
    routes[`transforms.${name}.regex`] = natural.replace(/\./g, "\\.");
    routes[`transforms.${name}.replacement`] = t.topic;
  });
  return {
    "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
    "tasks.max": "1",
    "plugin.name": "pgoutput",
    "database.hostname": src.host,
    "database.port": String(src.port),
    "database.dbname": src.database,
    "database.user": src.user,
    "database.password": src.password,
    "database.sslmode": src.sslmode ?? "require",
    "slot.name": slotName(src.database),
    "slot.drop.on.stop": "false",
    "publication.name": CDC_PUBLICATION,
    "publication.autocreate.mode": "disabled",
    "topic.prefix": CDC_TOPIC_PREFIX,
    "table.include.list": CDC_TABLES.map((t) => t.table).join(","),
    "snapshot.mode": "initial",
    "decimal.handling.mode": "string",
    "heartbeat.interval.ms": String(opts.heartbeatIntervalMs ?? 10_000),
    // Heartbeats go to cdc.heartbeat.cdc, declared in schemas/kafka/topics.ts (brokers never auto-create).
    "topic.heartbeat.prefix": HEARTBEAT_PREFIX,
    "retriable.restart.connector.wait.ms": String(opts.retryWaitMs ?? 3_000),
    "errors.max.retries": "-1",
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
    ...(names.length ? { transforms: names.join(","), ...routes } : {}),
  };
}

/** Connector name per database (one connector per slot). */
export const connectorName = (database: string) => `pg-${database.replace(/_/g, "-")}-cdc`;
