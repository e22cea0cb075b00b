import type { StackConfig } from "../../stacks/config";
import type { StartContext, StartedService } from "../types";

// Placeholder until the postgres issue lands its real local server.
export type PostgresEndpoints = Record<string, never>;

export async function startPostgres(_ctx: StartContext, _cfg: StackConfig): Promise<StartedService<PostgresEndpoints>> {
  throw new Error("local postgres is not implemented yet");
}
