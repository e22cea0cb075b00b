import type { StackConfig } from "../../stacks/config";
import type { StartContext, StartedService } from "../types";

// Placeholder until the kafka issue lands its real local server.
export type KafkaEndpoints = Record<string, never>;

export async function startKafka(_ctx: StartContext, _cfg: StackConfig): Promise<StartedService<KafkaEndpoints>> {
  throw new Error("local kafka is not implemented yet");
}
