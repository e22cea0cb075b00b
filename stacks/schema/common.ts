import { z } from "zod";

/** Kubernetes resource quantity for CPU, e.g. "500m" or "2". */
export const cpuQuantity = z
  .string()
  .regex(/^([0-9]+m|[0-9]+(\.[0-9]+)?)$/, { message: 'a CPU quantity such as "500m" or "2"' });

/** Kubernetes resource quantity for memory or storage, e.g. "512Mi", "20Gi". */
export const byteQuantity = z
  .string()
  .regex(/^[0-9]+(Ki|Mi|Gi|Ti)$/, { message: 'a binary byte quantity such as "512Mi" or "20Gi"' });

/** Requests equal limits for memory (no overcommit for databases); CPU is a request and a limit. */
export const resources = z.strictObject({
  cpu: cpuQuantity,
  memory: byteQuantity,
});
export type Resources = z.infer<typeof resources>;

/** A container image pinned to a tag (never `latest`) or a digest. */
export const pinnedImage = z
  .string()
  .regex(/^[a-z0-9./_-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/, {
    message: "an image reference pinned to a tag or digest, e.g. postgres:15.8",
  })
  .refine((s) => !s.endsWith(":latest"), { message: "a pinned image; `latest` is not allowed" });

export const positiveInt = z.number().int().positive();
export const nonNegativeInt = z.number().int().nonnegative();

/** Converts a quantity such as "512Mi" to bytes; used to size server parameters from resources. */
export function quantityToBytes(q: string): number {
  const m = /^([0-9]+)(Ki|Mi|Gi|Ti)$/.exec(q);
  if (!m) throw new Error(`not a byte quantity: ${q}`);
  const power = { Ki: 1, Mi: 2, Gi: 3, Ti: 4 }[m[2] as "Ki" | "Mi" | "Gi" | "Ti"];
  return Number(m[1]) * 1024 ** power;
}

/** Converts a CPU quantity such as "500m" or "2" to cores. */
export function cpuToCores(q: string): number {
  return q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q);
}
