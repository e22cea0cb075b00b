import type { StackConfig } from "../../stacks/config";
import type { StartContext, StartedService } from "../types";

// Placeholder until the milvus issue lands its real local server.
export type MilvusEndpoints = Record<string, never>;

export async function startMilvus(_ctx: StartContext, _cfg: StackConfig): Promise<StartedService<MilvusEndpoints>> {
  throw new Error("local milvus is not implemented yet");
}
