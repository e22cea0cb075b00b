import type Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReliableQueue } from "../../../runtime/redis";
import { appClient, ensureLibraries, redisEndpoints } from "./helpers";

const e = redisEndpoints();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("queue library (reliable queue) on real Redis", () => {
  const clients: Redis[] = [];
  beforeAll(async () => {
    await ensureLibraries(e);
    for (let i = 0; i < 10; i++) clients.push(appClient(e));
  });
  afterAll(() => clients.forEach((c) => c.disconnect()));

  it("delivers each of 500 items to exactly one of 10 concurrent consumers", async () => {
    const name = `exactly-once-${Date.now()}`;
    const producer = new ReliableQueue(clients[0], name);
    const sent = new Set<string>();
    for (let i = 0; i < 500; i++) sent.add(await producer.enqueue(`job-${i}`));
    const deliveries: { consumer: number; payload: string }[] = [];
    await Promise.all(
      clients.map(async (c, consumer) => {
        const q = new ReliableQueue(c, name);
        for (;;) {
          const item = await q.claim(30_000);
          if (!item) return;
          deliveries.push({ consumer, payload: item.payload });
          expect(await q.ack(item)).toBe(true);
        }
      }),
    );
    const payloads = deliveries.map((d) => d.payload);
    expect(payloads).toHaveLength(500);
    expect(new Set(payloads).size).toBe(500);
    expect(new Set(deliveries.map((d) => d.consumer)).size).toBeGreaterThan(1);
    expect(await producer.depth()).toEqual({ ready: 0, claimed: 0 });
  });

  it("an unacked claim is invisible until its visibility timeout, then redelivered; the stale ack is refused", async () => {
    const name = `redeliver-${Date.now()}`;
    const a = new ReliableQueue(clients[0], name);
    const b = new ReliableQueue(clients[1], name);
    await a.enqueue("order-42");
    const first = await a.claim(300);
    expect(first).toMatchObject({ payload: "order-42", deliveries: 1 });
    expect(await b.claim(300)).toBeUndefined();
    await sleep(400);
    const second = await b.claim(5_000);
    expect(second).toMatchObject({ id: first!.id, payload: "order-42", deliveries: 2 });
    expect(await a.ack(first!)).toBe(false);
    expect(await b.ack(second!)).toBe(true);
    expect(await a.depth()).toEqual({ ready: 0, claimed: 0 });
  });

  it("requeue_expired puts expired claims back without a consumer having to claim", async () => {
    const q = new ReliableQueue(clients[0], `sweep-${Date.now()}`);
    await q.enqueue("a");
    await q.enqueue("b");
    await q.claim(50);
    await q.claim(50);
    expect(await q.depth()).toEqual({ ready: 0, claimed: 2 });
    await sleep(100);
    expect(await q.requeueExpired()).toBe(2);
    expect(await q.depth()).toEqual({ ready: 2, claimed: 0 });
  });
});
