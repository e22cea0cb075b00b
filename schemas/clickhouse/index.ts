import { kafkaIngest } from "./kafka-ingest";
import { marketTables } from "./market-tables";
import { ohlcvViews } from "./ohlcv";
import { databaseOf } from "./render";
import { databaseSql } from "./state";
import type { RenderOptions, SchemaObject } from "./types";

export type { RenderOptions, SchemaObject, SchemaColumn, SchemaMode, ObjectKind } from "./types";
export { STATE_TABLE, stateTableSql, databaseSql } from "./state";
export { DEFAULT_DATABASE, databaseOf } from "./render";
export { ohlcvQuery } from "./ohlcv";

/** The schema modules in apply order; each renders its objects in dependency order. */
export const schemaModules = [
  { file: "schemas/clickhouse/market-tables.ts", render: marketTables },
  { file: "schemas/clickhouse/ohlcv.ts", render: ohlcvViews },
  { file: "schemas/clickhouse/kafka-ingest.ts", render: kafkaIngest },
] as const;

/** Every object of the market-data schema, in the order it must be created. */
export function renderClickHouseSchema(o: RenderOptions): SchemaObject[] {
  const database: SchemaObject = { name: databaseOf(o), file: "schemas/clickhouse/state.ts", kind: "database", sql: databaseSql(o), dependsOn: [] };
  return [database, ...schemaModules.flatMap((m) => m.render(o))];
}
