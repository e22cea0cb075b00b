/** The view of a resource every rule works on: what the policy engine and the mocks both provide. */
export interface PolicyInput {
  /** Pulumi type token, e.g. "kubernetes:apps/v1:StatefulSet", "aws:s3/bucket:Bucket". */
  readonly type: string;
  /** Logical (Pulumi) name. */
  readonly name: string;
  readonly urn: string;
  /** Resolved inputs; values still unknown at preview are undefined. */
  readonly props: Record<string, unknown>;
  /** URN of the parent resource, when known. */
  readonly parent?: string;
}

export interface Violation {
  readonly rule: string;
  readonly type: string;
  readonly name: string;
  readonly message: string;
}

/** Loose accessor for nested props (rules read untyped engine data). */
export function at(obj: unknown, ...path: (string | number)[]): unknown {
  let cur = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

export type Obj = Record<string, unknown>;
export const asArray = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
