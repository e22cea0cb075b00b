/** Debezium release for every Debezium artifact (connector plugin locally and in the Strimzi build). */
export const DEBEZIUM_VERSION = "3.6.1.Final";
