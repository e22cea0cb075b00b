import type Redis from "ioredis";
import { channelFor, channelPattern, channels, type ChannelName, type ChannelParams, type ChannelPayload } from "../../schemas/redis/channels";

/** Publishes a registry-validated payload; returns how many subscribers received it. */
export async function publish<C extends ChannelName>(redis: Redis, name: C, params: ChannelParams<C>, payload: ChannelPayload<C>): Promise<number> {
  const parsed = channels[name].payload.safeParse(payload);
  if (!parsed.success) {
    throw new Error(`publish ${name}: payload does not match schemas/redis/channels.ts: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  return redis.publish(channelFor(name, params), JSON.stringify(parsed.data));
}

export interface Subscription {
  /** Resolves once the server confirmed the subscription. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Subscribes to every concrete channel of a registry entry. Needs its own connection (a subscribed
 * connection cannot run other commands), so pass a dedicated client, e.g. `redis.duplicate()`.
 * Messages that fail the schema go to onInvalid instead of the handler.
 */
export function subscribe<C extends ChannelName>(
  sub: Redis,
  name: C,
  onMessage: (payload: ChannelPayload<C>, channel: string) => void,
  onInvalid: (raw: string, channel: string, reason: string) => void = () => {},
): Subscription {
  const pattern = channelPattern(name);
  const literal = !pattern.includes("*");
  const handle = (channel: string, raw: string) => {
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      onInvalid(raw, channel, "not JSON");
      return;
    }
    const parsed = channels[name].payload.safeParse(data);
    if (parsed.success) onMessage(parsed.data as ChannelPayload<C>, channel);
    else onInvalid(raw, channel, parsed.error.issues.map((i) => i.message).join("; "));
  };
  const onMsg = (channel: string, raw: string) => channel === pattern && handle(channel, raw);
  const onPMsg = (p: string, channel: string, raw: string) => p === pattern && handle(channel, raw);
  if (literal) sub.on("message", onMsg);
  else sub.on("pmessage", onPMsg);
  const ready = (literal ? sub.subscribe(pattern) : sub.psubscribe(pattern)).then(() => undefined);
  return {
    ready,
    async close() {
      sub.off("message", onMsg);
      sub.off("pmessage", onPMsg);
      if (literal) await sub.unsubscribe(pattern);
      else await sub.punsubscribe(pattern);
    },
  };
}
