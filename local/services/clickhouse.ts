import type { StackConfig } from "../../stacks/config";
import type { StartContext, StartedService } from "../types";

// Placeholder until the clickhouse issue lands its real local server.
export type ClickHouseEndpoints = Record<string, never>;

export async function startClickHouse(_ctx: StartContext, _cfg: StackConfig): Promise<StartedService<ClickHouseEndpoints>> {
  throw new Error("local clickhouse is not implemented yet");
}
