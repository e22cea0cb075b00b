/** The runtime access layer over the five stores. No @pulumi imports: services use it without Pulumi. */
export { DatabaseManager, type HealthReport, type InitializeOptions, type InitializeReport, type ManagerOptions, type StoreHealth } from "./manager";
export { fromEnv, fromLocalEndpoints, fromStackOutputs, secretsFromEnv, type DataTierSecrets, type LocalTierEndpointsLike } from "./adapters";
export { connectionProblems, DataTierConfigError, STORES, type DataTierConnection, type StoreName } from "./config";
export { AmbiguousOperationError, InitializeError, SchemaVersionError, StoreError } from "./errors";
export { defaultRetryPolicy, type RetryEvent, type RetryPolicy } from "./retry";
export { lastPriceKey, type LastPrice, type PortfolioValuation, type PositionValue, type AssetClassNotional } from "./cross-store";
export type { WriteOptions, TxClient } from "./postgres";
export type { StoreSchemaState, SchemaPolicy } from "./schema-expectations";
