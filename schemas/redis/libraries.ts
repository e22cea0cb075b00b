import * as fs from "node:fs";
import * as path from "node:path";

/** One Redis Function library as found in schemas/redis. */
export interface FunctionLibrary {
  /** Library name from the `#!lua name=<name>` header. */
  readonly name: string;
  /** Path relative to the repository, for error messages. */
  readonly file: string;
  readonly code: string;
}

export const librariesDir = __dirname;

const header = /^#!lua name=([A-Za-z0-9_]+)\s*(\n|$)/;

/** Problems with a set of libraries (header, name matching the file, duplicates); empty when fine. */
export function libraryProblems(libs: readonly FunctionLibrary[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const lib of libs) {
    const m = header.exec(lib.code);
    if (!m) {
      problems.push(`${lib.file}: first line must be "#!lua name=<library>" (letters, digits, _)`);
      continue;
    }
    if (m[1] !== lib.name) problems.push(`${lib.file}: header names library "${m[1]}" but the item is "${lib.name}"`);
    const base = path.basename(lib.file, ".lua");
    if (base !== m[1]) problems.push(`${lib.file}: library "${m[1]}" must live in ${m[1]}.lua so the file names it`);
    const prev = seen.get(m[1]);
    if (prev) problems.push(`${lib.file}: library "${m[1]}" is already defined in ${prev}`);
    seen.set(m[1], lib.file);
    if (!/redis\.register_function/.test(lib.code)) problems.push(`${lib.file}: registers no function (redis.register_function)`);
  }
  return problems;
}

/** Reads every *.lua file of a directory (default: schemas/redis), sorted by name. */
export function loadFunctionLibraries(dir = librariesDir, relativeTo = path.resolve(__dirname, "..", "..")): FunctionLibrary[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".lua"))
    .sort()
    .map((f) => {
      const full = path.join(dir, f);
      const code = fs.readFileSync(full, "utf8");
      const name = header.exec(code)?.[1] ?? path.basename(f, ".lua");
      return { name, file: path.relative(relativeTo, full), code };
    });
}
