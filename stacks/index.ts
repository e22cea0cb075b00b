import { buildDataTier } from "./data-tier";
import { loadStackConfig } from "./load-config";

// Validation throws before any resource is registered: a typo never reaches the cluster.
const outputs = buildDataTier(loadStackConfig());

export const environment = outputs.environment;
export const namespace = outputs.namespace;
export const postgres = outputs.postgres;
export const redis = outputs.redis;
export const kafka = outputs.kafka;
export const clickhouse = outputs.clickhouse;
export const milvus = outputs.milvus;
