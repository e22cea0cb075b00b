import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";

/**
 * Validates custom resources against the openAPIV3Schema of the CRDs in a directory (such as
 * /work/shared/crds/strimzi-1.2.0), the cheap always-on stand-in for `kubectl apply --dry-run=server
 * --validate=strict`. Like strict validation, a field the schema does not declare is an error unless
 * the schema says `x-kubernetes-preserve-unknown-fields`. CEL rules (x-kubernetes-validations) are
 * not evaluated.
 */

type Schema = Record<string, unknown>;

interface CrdDoc {
  kind?: string;
  spec?: {
    group: string;
    names: { kind: string };
    versions: { name: string; served?: boolean; schema?: { openAPIV3Schema?: Schema } }[];
  };
}

const compiled = new Map<string, Map<string, ValidateFunction>>();

/**
 * CRD patterns are Go (RE2) regexps; JavaScript has no inline `(?i)` flag (prometheus-operator's
 * PrometheusRule uses `^(?i)(abort|warn)?$`), so fold each letter outside a class or escape into [xX].
 */
export function goPatternToJs(pattern: string): string {
  if (!pattern.includes("(?i)")) return pattern;
  let out = "";
  let inClass = false;
  const src = pattern.replace("(?i)", "");
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "\\") {
      out += c + (src[++i] ?? "");
      continue;
    }
    if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    out += !inClass && /[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
  }
  return out;
}

/** Rewrites Kubernetes' structural-schema extensions into plain JSON Schema that ajv understands. */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== "object") return node;
  const src = node as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === "properties" && v && typeof v === "object") {
      out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, toJsonSchema(s)]));
    } else if (k === "pattern" && typeof v === "string") {
      out.pattern = goPatternToJs(v);
    } else if (k === "nullable" || k.startsWith("x-kubernetes-")) {
      continue;
    } else {
      out[k] = toJsonSchema(v);
    }
  }
  if (src["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (src.nullable === true && typeof out.type === "string") out.type = [out.type, "null"];
  const preserve = src["x-kubernetes-preserve-unknown-fields"] === true;
  if (out.type === "object" && out.properties && out.additionalProperties === undefined && !preserve) {
    out.additionalProperties = false;
  }
  return out;
}

function validatorsFor(crdDir: string): Map<string, ValidateFunction> {
  const cached = compiled.get(crdDir);
  if (cached) return cached;
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  ajv.addFormat("int", /^-?[0-9]+$/);
  ajv.addFormat("int32", true);
  ajv.addFormat("int64", true);
  ajv.addFormat("date-time", true);
  const byKey = new Map<string, ValidateFunction>();
  for (const file of fs.readdirSync(crdDir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(crdDir, file), "utf8"))) {
      const crd = doc.toJS() as CrdDoc | null;
      if (crd?.kind !== "CustomResourceDefinition" || !crd.spec) continue;
      for (const v of crd.spec.versions) {
        const schema = v.schema?.openAPIV3Schema;
        if (!schema || v.served === false) continue;
        byKey.set(`${crd.spec.group}/${v.name}|${crd.spec.names.kind}`, ajv.compile(toJsonSchema(schema) as Schema));
      }
    }
  }
  compiled.set(crdDir, byKey);
  return byKey;
}

function describe(e: ErrorObject): string {
  const at = e.instancePath || "(root)";
  if (e.keyword === "additionalProperties") return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === "enum") return `${at}: ${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")})`;
  return `${at}: ${e.message}`;
}

/**
 * Errors (empty when valid) for one custom resource, each naming the JSON path and the reason.
 * An apiVersion/kind with no CRD in the directory is itself an error, so a typo cannot pass.
 */
export function validateAgainstCrd(crdDir: string, apiVersion: string, kind: string, object: unknown): string[] {
  const validate = validatorsFor(crdDir).get(`${apiVersion}|${kind}`);
  if (!validate) return [`no served CRD for ${apiVersion} ${kind} in ${crdDir}`];
  const errors: string[] = [];
  const obj = object as { apiVersion?: unknown; kind?: unknown };
  if (obj?.apiVersion !== undefined && obj.apiVersion !== apiVersion) errors.push(`/apiVersion: expected ${apiVersion}, got ${String(obj.apiVersion)}`);
  if (obj?.kind !== undefined && obj.kind !== kind) errors.push(`/kind: expected ${kind}, got ${String(obj.kind)}`);
  if (!validate(object)) errors.push(...(validate.errors ?? []).map(describe));
  return errors;
}
