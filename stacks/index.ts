import { buildDataTier } from "./data-tier";
import { loadStackConfig } from "./load-config";
import { readLocalEndpoints } from "./post-deploy";

// Validation throws before any resource is registered: a typo never reaches the cluster.
const config = loadStackConfig();
// The local stack's providers need the running tier: say so now rather than deploy without them.
if (config.environment === "local" && config.postDeploy.enabled) readLocalEndpoints();
const outputs = buildDataTier(config);

export const environment = outputs.environment;
export const namespace = outputs.namespace;
export const postgres = outputs.postgres;
export const redis = outputs.redis;
export const kafka = outputs.kafka;
export const clickhouse = outputs.clickhouse;
export const milvus = outputs.milvus;
export const connections = outputs.connections;
export const postDeploy = outputs.postDeploy;
