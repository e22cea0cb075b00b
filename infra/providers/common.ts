import { createHash } from "node:crypto";

/**
 * Shared, dependency-free helpers for the post-deploy dynamic providers. Kept free of live clients
 * and module state because Pulumi serializes each provider's functions into the state file.
 */

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Same shape as pulumi.dynamic's PropertyDiff kinds, without importing @pulumi/pulumi here. */
export type DiffKind = "add" | "delete" | "update" | "add-replace" | "delete-replace" | "update-replace";

export interface ItemDiff {
  changes: boolean;
  /** Keyed by a property path such as `items["orders"]`, so previews name the exact item. */
  detailedDiff: Record<string, { kind: DiffKind; inputDiff: boolean }>;
  replaces: string[];
}

/**
 * Compares two maps of item name → fingerprint (a hash of the item's normalised spec) and returns a
 * per-item diff. `replaceWhen` marks items whose change the engine cannot apply in place.
 */
export function diffItems(
  property: string,
  before: Record<string, string>,
  after: Record<string, string>,
  replaceWhen: (name: string) => boolean = () => false,
): ItemDiff {
  const detailedDiff: ItemDiff["detailedDiff"] = {};
  const replaces: string[] = [];
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const path = `${property}[${JSON.stringify(name)}]`;
    const b = before[name];
    const a = after[name];
    if (b === a) continue;
    const replace = b !== undefined && a !== undefined && replaceWhen(name);
    const kind: DiffKind = b === undefined ? "add" : a === undefined ? "delete" : replace ? "update-replace" : "update";
    detailedDiff[path] = { kind, inputDiff: true };
    if (replace) replaces.push(path);
  }
  return { changes: Object.keys(detailedDiff).length > 0, detailedDiff, replaces };
}

/** Removes anything that looks like a password from a message before it reaches a log or an error. */
export function redact(message: string, secrets: readonly (string | undefined)[] = []): string {
  let out = message.replace(/(\/\/[^:/@\s]+:)[^@\s]+@/g, "$1****@").replace(/(password[=:]\s*)\S+/gi, "$1****");
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("****");
  return out;
}
