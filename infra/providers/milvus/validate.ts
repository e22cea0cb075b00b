import { MAX_DIMENSION } from "../../milvus/settings";
import { isVectorField, METRICS, type FieldSpec, type ModelCollection, type VectorIndex } from "../../../schemas/milvus/types";

/** One problem in a declared spec: where it is and why it is wrong. */
export interface SpecFailure {
  readonly property: string;
  readonly reason: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,199}$/;
const SCALAR_TYPES = ["Int64", "Int32", "Float", "Double", "Bool", "VarChar"];
// Ranges Milvus 2.3 documents for its index builders; outside them the build fails late or silently degrades.
export const HNSW_M = [4, 64] as const;
export const HNSW_EF_CONSTRUCTION = [8, 512] as const;
export const HNSW_EF = [1, 32768] as const;
export const IVF_NLIST = [1, 65536] as const;
export const MAX_PARTITIONS = 4096;

function inRange(v: unknown, [lo, hi]: readonly [number, number]): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
}

function indexFailures(at: string, index: VectorIndex | undefined): SpecFailure[] {
  const out: SpecFailure[] = [];
  const f = (p: string, reason: string) => out.push({ property: `${at}.${p}`, reason });
  if (!index) return [{ property: `${at}`, reason: "every vector field needs an index (HNSW or IVF_FLAT)" }];
  const idx = index as unknown as Record<string, unknown>;
  if (index.type === "HNSW") {
    if (!inRange(idx.M, HNSW_M)) f("M", `must be an integer in ${HNSW_M[0]}..${HNSW_M[1]}, got ${String(idx.M)}`);
    if (!inRange(idx.efConstruction, HNSW_EF_CONSTRUCTION)) f("efConstruction", `must be an integer in ${HNSW_EF_CONSTRUCTION[0]}..${HNSW_EF_CONSTRUCTION[1]}, got ${String(idx.efConstruction)}`);
    if (!inRange(idx.ef, HNSW_EF)) f("ef", `must be an integer in ${HNSW_EF[0]}..${HNSW_EF[1]}, got ${String(idx.ef)}`);
  } else if (index.type === "IVF_FLAT") {
    if (!inRange(idx.nlist, IVF_NLIST)) f("nlist", `must be an integer in ${IVF_NLIST[0]}..${IVF_NLIST[1]}, got ${String(idx.nlist)}`);
    const nlist = typeof idx.nlist === "number" ? idx.nlist : IVF_NLIST[1];
    if (!inRange(idx.nprobe, [1, nlist])) f("nprobe", `must be an integer in 1..nlist (${nlist}), got ${String(idx.nprobe)}`);
  } else {
    f("type", `must be one of HNSW, IVF_FLAT, got ${JSON.stringify(idx.type)}`);
  }
  return out;
}

function fieldFailures(at: string, fields: readonly FieldSpec[] | undefined): SpecFailure[] {
  if (!Array.isArray(fields) || fields.length === 0) return [{ property: `${at}.fields`, reason: "must list at least a primary key and one vector field" }];
  const out: SpecFailure[] = [];
  const seen = new Set<string>();
  for (const field of fields) {
    const p = `${at}.fields[${field.name}]`;
    const fail = (k: string, reason: string) => out.push({ property: k ? `${p}.${k}` : p, reason });
    if (!NAME.test(field.name ?? "")) fail("name", `must match ${NAME.source}, got ${JSON.stringify(field.name)}`);
    if (seen.has(field.name)) fail("", "duplicate field name");
    seen.add(field.name);
    if (isVectorField(field)) {
      if (!inRange(field.dim, [1, MAX_DIMENSION])) fail("dim", `dimension must be an integer in 1..${MAX_DIMENSION}, got ${String(field.dim)}`);
      if (!(METRICS as readonly string[]).includes(field.metric)) fail("metric", `unknown metric ${JSON.stringify(field.metric)}; allowed: ${METRICS.join(", ")}`);
      out.push(...indexFailures(`${p}.index`, field.index));
    } else if (!SCALAR_TYPES.includes(field.type)) {
      fail("type", `unknown type ${JSON.stringify(field.type)}; allowed: ${[...SCALAR_TYPES, "FloatVector"].join(", ")}`);
    } else if (field.type === "VarChar" && !inRange(field.maxLength, [1, 65535])) {
      fail("maxLength", `VarChar needs maxLength in 1..65535, got ${String(field.maxLength)}`);
    }
  }
  const pks = fields.filter((f) => !isVectorField(f) && f.primaryKey);
  if (pks.length !== 1) out.push({ property: `${at}.fields`, reason: `needs exactly one primaryKey field, got ${pks.length}` });
  else if (!["Int64", "VarChar"].includes(pks[0].type)) out.push({ property: `${at}.fields[${pks[0].name}].type`, reason: `a primary key must be Int64 or VarChar, got ${pks[0].type}` });
  if (!fields.some(isVectorField)) out.push({ property: `${at}.fields`, reason: "needs at least one FloatVector field" });
  return out;
}

/** Validates every declared model collection; returns all problems (empty when valid). Pure. */
export function validateCollections(collections: readonly ModelCollection[]): SpecFailure[] {
  const out: SpecFailure[] = [];
  const names = new Set<string>();
  for (const col of collections) {
    const at = `collections[${col.name}]`;
    if (!NAME.test(col.name ?? "")) out.push({ property: `${at}.name`, reason: `must match ${NAME.source}, got ${JSON.stringify(col.name)}` });
    if (names.has(col.name)) out.push({ property: at, reason: "declared twice" });
    names.add(col.name);
    const versions = Array.isArray(col.versions) ? col.versions : [];
    if (versions.length === 0) out.push({ property: `${at}.versions`, reason: "declare at least one version" });
    const numbers = new Set<number>();
    for (const v of versions) {
      const vat = `${at}.versions[v${v.version}]`;
      if (!Number.isInteger(v.version) || v.version < 1) out.push({ property: `${vat}.version`, reason: `must be a positive integer, got ${String(v.version)}` });
      if (numbers.has(v.version)) out.push({ property: vat, reason: "version declared twice" });
      numbers.add(v.version);
      out.push(...fieldFailures(vat, v.fields));
      if (v.shards !== undefined && !inRange(v.shards, [1, 16])) out.push({ property: `${vat}.shards`, reason: `must be an integer in 1..16, got ${String(v.shards)}` });
      const parts = v.partitions ?? [];
      if (parts.length > MAX_PARTITIONS) out.push({ property: `${vat}.partitions`, reason: `at most ${MAX_PARTITIONS}, got ${parts.length}` });
      for (const p of parts) if (!NAME.test(p) || p === "_default") out.push({ property: `${vat}.partitions[${p}]`, reason: `must match ${NAME.source} and not be _default` });
      if (new Set(parts).size !== parts.length) out.push({ property: `${vat}.partitions`, reason: "lists a partition twice" });
    }
    if (!numbers.has(col.active)) out.push({ property: `${at}.active`, reason: `must be one of the declared versions (${[...numbers].join(", ") || "none"}), got ${String(col.active)}` });
  }
  return out;
}

/** Throws one error listing every failure, prefixed with the file the specs came from. */
export function assertValidCollections(collections: readonly ModelCollection[], source = "schemas/milvus"): void {
  const failures = validateCollections(collections);
  if (failures.length) throw new Error(`${source}: invalid Milvus collection spec:\n${failures.map((f) => `  - ${f.property}: ${f.reason}`).join("\n")}`);
}
