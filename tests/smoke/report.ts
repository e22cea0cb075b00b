/**
 * Pure parts of the smoke tests: latency statistics, the pass/fail rule and the JUnit XML that
 * pipelines read. No I/O here, so tests/unit/post-deploy/smoke-report.test.ts checks it directly.
 */

export interface CheckRun {
  /** e.g. "postgres: write on the primary, read on a replica". */
  readonly name: string;
  /** Store the check belongs to (JUnit classname). */
  readonly store: string;
  /** One latency per successful round trip, in milliseconds. */
  readonly samplesMs: readonly number[];
  /** Errors met (the check fails if there is any). Never contains a password: callers redact. */
  readonly errors: readonly string[];
  /** Facts worth printing (e.g. "replica in recovery: true"). */
  readonly notes?: readonly string[];
}

export interface CheckVerdict extends CheckRun {
  readonly passed: boolean;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Why it failed; empty when it passed. */
  readonly reasons: string[];
}

/**
 * Nearest-rank percentile (the value at rank ceil(p/100 × n) of the sorted samples): with fewer than
 * 100 samples p99 is the maximum, which is what a smoke test should judge. NaN for no samples.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new Error(`percentile: p must be in (0, 100], got ${p}`);
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.ceil((p / 100) * sorted.length)) - 1];
}

/** A check passes when it ran at least once, met no error, and its p99 is within the limit. */
export function judge(run: CheckRun, p99LimitMs: number): CheckVerdict {
  const p50Ms = percentile(run.samplesMs, 50);
  const p99Ms = percentile(run.samplesMs, 99);
  const maxMs = run.samplesMs.length ? Math.max(...run.samplesMs) : Number.NaN;
  const reasons: string[] = [...run.errors];
  if (run.samplesMs.length === 0 && run.errors.length === 0) reasons.push("no round trip completed");
  if (p99Ms > p99LimitMs) reasons.push(`p99 ${p99Ms.toFixed(1)} ms exceeds ${p99LimitMs} ms`);
  return { ...run, passed: reasons.length === 0, p50Ms, p99Ms, maxMs, reasons };
}

export function xmlEscape(s: string): string {
  // Control characters other than tab/newline are not allowed in XML 1.0 at all.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "n/a");

/** JUnit XML (one testsuite per stack, one testcase per check) as GitHub/GitLab/Jenkins read it. */
export function junitXml(stack: string, verdicts: readonly CheckVerdict[], p99LimitMs: number, timestamp = new Date()): string {
  const failures = verdicts.filter((v) => !v.passed).length;
  const totalSeconds = verdicts.reduce((s, v) => s + v.samplesMs.reduce((a, b) => a + b, 0), 0) / 1000;
  const cases = verdicts.map((v) => {
    const seconds = v.samplesMs.reduce((a, b) => a + b, 0) / 1000;
    const props = [
      ["samples", String(v.samplesMs.length)],
      ["p50_ms", ms(v.p50Ms)],
      ["p99_ms", ms(v.p99Ms)],
      ["max_ms", ms(v.maxMs)],
      ["p99_limit_ms", String(p99LimitMs)],
    ]
      .map(([k, val]) => `        <property name="${k}" value="${xmlEscape(val)}"/>`)
      .join("\n");
    const failure = v.passed ? "" : `\n      <failure message="${xmlEscape(v.reasons[0] ?? "failed")}" type="SmokeCheckFailed">${xmlEscape(v.reasons.join("\n"))}</failure>`;
    const out = v.notes?.length ? `\n      <system-out>${xmlEscape(v.notes.join("\n"))}</system-out>` : "";
    return `    <testcase classname="smoke.${xmlEscape(stack)}.${xmlEscape(v.store)}" name="${xmlEscape(v.name)}" time="${seconds.toFixed(3)}">\n      <properties>\n${props}\n      </properties>${failure}${out}\n    </testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="smoke" tests="${verdicts.length}" failures="${failures}" time="${totalSeconds.toFixed(3)}">`,
    `  <testsuite name="smoke:${xmlEscape(stack)}" tests="${verdicts.length}" failures="${failures}" errors="0" skipped="0" time="${totalSeconds.toFixed(3)}" timestamp="${timestamp.toISOString()}">`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    ``,
  ].join("\n");
}

/** One line per check for humans. */
export function summaryLines(verdicts: readonly CheckVerdict[]): string[] {
  const width = Math.max(...verdicts.map((v) => v.name.length), 10);
  return verdicts.map(
    (v) =>
      `${v.passed ? "PASS" : "FAIL"}  ${v.name.padEnd(width)}  n=${String(v.samplesMs.length).padStart(3)}  p50 ${ms(v.p50Ms).padStart(7)} ms  p99 ${ms(v.p99Ms).padStart(7)} ms${v.passed ? "" : `  ← ${v.reasons.join("; ")}`}`,
  );
}
