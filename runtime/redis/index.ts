/** Runtime access to Redis for services: no @pulumi imports. */
export { connectRedis, type RedisTarget } from "./connect";
export { RateLimiter, type RateLimitDecision } from "./rate-limit";
export { ReliableQueue, type ClaimedItem } from "./queue";
export { Cache, type CacheOptions } from "./cache";
export { publish, subscribe, type Subscription } from "./pubsub";
