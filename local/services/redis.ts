import type { StackConfig } from "../../stacks/config";
import type { StartContext, StartedService } from "../types";

// Placeholder until the redis issue lands its real local server.
export type RedisEndpoints = Record<string, never>;

export async function startRedis(_ctx: StartContext, _cfg: StackConfig): Promise<StartedService<RedisEndpoints>> {
  throw new Error("local redis is not implemented yet");
}
