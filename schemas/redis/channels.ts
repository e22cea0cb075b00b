import { z } from "zod";

/**
 * The pub/sub channel registry: every channel services publish on, with its payload schema.
 * Publishers and subscribers go through runtime/redis, which validates payloads against these, so
 * a renamed field fails at the publisher instead of silently at every subscriber.
 * `{param}` segments are filled per message (a symbol, an account id); subscribers may pattern-match.
 */
export const channels = {
  marketTicks: {
    pattern: "market:ticks:{symbol}",
    description: "Last trade and top of book per instrument, fan-out to pricing and UI gateways.",
    payload: z.strictObject({
      symbol: z.string().min(1),
      price: z.number().positive(),
      size: z.number().nonnegative(),
      bid: z.number().positive().optional(),
      ask: z.number().positive().optional(),
      ts: z.number().int().positive(),
    }),
  },
  portfolioUpdates: {
    pattern: "portfolio:updates:{accountId}",
    description: "Position and cash changes of one account after a fill or a transfer.",
    payload: z.strictObject({
      accountId: z.string().min(1),
      symbol: z.string().min(1),
      quantity: z.number(),
      cash: z.number(),
      ts: z.number().int().positive(),
    }),
  },
  cacheInvalidations: {
    pattern: "cache:invalidations",
    description: "Published by the cache library (cache_invalidate_tags): keys dropped, so in-process caches drop them too.",
    payload: z.strictObject({ tags: z.array(z.string()), keys: z.array(z.string()) }),
  },
} as const;

export type ChannelName = keyof typeof channels;
export type ChannelPayload<C extends ChannelName> = z.infer<(typeof channels)[C]["payload"]>;
/** The `{param}` names of a channel's pattern. */
export type ChannelParams<C extends ChannelName> = Record<ParamNames<(typeof channels)[C]["pattern"]>, string>;
type ParamNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}` ? N | ParamNames<Rest> : never;

const paramRe = /\{([A-Za-z]+)\}/g;

/** The concrete channel for a message; a parameter may not contain ':' or glob characters. */
export function channelFor<C extends ChannelName>(name: C, params: ChannelParams<C>): string {
  return channels[name].pattern.replace(paramRe, (_m, p: string) => {
    const v = (params as Record<string, string>)[p];
    if (typeof v !== "string" || v.length === 0 || /[:*?[\]\s]/.test(v)) {
      throw new Error(`channel ${name}: parameter ${p} must be a non-empty string without ':', spaces or glob characters, got ${JSON.stringify(v)}`);
    }
    return v;
  });
}

/** A PSUBSCRIBE pattern matching every concrete channel of a registry entry. */
export function channelPattern(name: ChannelName): string {
  return channels[name].pattern.replace(paramRe, "*");
}
