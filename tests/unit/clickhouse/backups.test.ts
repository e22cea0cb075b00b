import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  BACKUP_NAME_PLACEHOLDER,
  backupExclusions,
  backupLocation,
  backupServerSettings,
  backupStatement,
  checkClickHouseBackupSpec,
  clickhouseBackupJobScript,
  listBackupsQuery,
  renderServerSettingsXml,
  restoreStatement,
  timestampedBackupName,
  type ClickHouseBackupSpec,
} from "../../../infra/backups/clickhouse";
import { renderClickHouseSchema } from "../../../schemas/clickhouse";
import { parseStackConfig } from "../../../stacks/config";
import { cronProblem } from "../../../stacks/schema/backups";
import { readStackFile } from "../../../local/stack-config";
import { runProgram } from "../helpers/mocks";
import { bestPracticeViolations } from "../k8s/best-practices";
import { validateObject } from "../k8s/k8s-objects";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const s3 = { kind: "s3", bucket: "data-prod-ch-backups-123456789012-eu-west-1", region: "eu-west-1", prefix: "backups/" } as const;
const clustered: ClickHouseBackupSpec = { database: "market", mode: "clustered", cluster: "trading", destination: s3 };

describe("ClickHouse BACKUP/RESTORE renderer", () => {
  it("clustered database to S3: ON CLUSTER, AWS URL under <prefix><database>/<name>/, no keys in the statement", () => {
    expect(backupStatement(clustered, "2026-11-25T01-17-00Z")).toBe(
      "BACKUP DATABASE `market` ON CLUSTER `trading` TO S3('https://data-prod-ch-backups-123456789012-eu-west-1.s3.eu-west-1.amazonaws.com/backups/market/2026-11-25T01-17-00Z/')",
    );
    expect(restoreStatement(clustered, "n1", { into: "market_check" })).toBe(
      "RESTORE DATABASE `market` AS `market_check` ON CLUSTER `trading` FROM S3('https://data-prod-ch-backups-123456789012-eu-west-1.s3.eu-west-1.amazonaws.com/backups/market/n1/')",
    );
  });

  it("a table list, single node, to a directory; restore renames each table into another database", () => {
    const spec: ClickHouseBackupSpec = { database: "market", tables: ["ticks", "ohlcv_1m"], mode: "single-node", cluster: "", destination: { kind: "file", directory: "/var/backups/" } };
    expect(backupStatement(spec, "b")).toBe("BACKUP TABLE `market`.`ticks`, TABLE `market`.`ohlcv_1m` TO File('/var/backups/market/b/')");
    expect(restoreStatement(spec, "b", { into: "x" })).toBe("RESTORE TABLE `market`.`ticks` AS `x`.`ticks`, TABLE `market`.`ohlcv_1m` AS `x`.`ohlcv_1m` FROM File('/var/backups/market/b/')");
  });

  it("leaves the Kafka engine tables and the views reading them out (both layouts)", () => {
    for (const mode of ["clustered", "single-node"] as const) {
      const objects = renderClickHouseSchema({ mode, cluster: "trading", retention: { ticksDays: 1, tradesDays: 1, quotesDays: 1 }, kafka: { brokers: "k:9092" } });
      expect(backupExclusions(objects).sort()).toEqual(["ticks_queue", "ticks_queue_errors_mv", "ticks_queue_mv", "trades_queue", "trades_queue_errors_mv", "trades_queue_mv"]);
      expect(backupExclusions(objects.filter((o) => o.kind !== "kafka" && !o.name.includes("_queue")))).toEqual([]);
    }
    expect(backupStatement({ ...clustered, exclude: ["ticks_queue", "ticks_queue_mv"] }, "n")).toMatch(/^BACKUP DATABASE `market` EXCEPT TABLES `market`.`ticks_queue`, `market`.`ticks_queue_mv` ON CLUSTER `trading` TO S3\(/);
  });

  it("bad input: every problem named by field with what is allowed, nothing rendered", () => {
    const bad = { database: "mar-ket", tables: ["ok", "1bad"], mode: "clustered", cluster: "a b", destination: { kind: "s3", bucket: "B", region: "europe", prefix: "/backups" } } as const;
    expect(checkClickHouseBackupSpec(bad)).toEqual([
      'database: letters, digits and _ (not starting with a digit), got "mar-ket"',
      'tables[1]: letters, digits and _ (not starting with a digit), got "1bad"',
      'cluster: letters, digits and _ (not starting with a digit), got "a b"',
      'destination.bucket: 3..63 lower-case letters, digits, . or -, got "B"',
      'destination.region: an AWS region such as eu-west-1, got "europe"',
      'destination.prefix: relative key prefix ending in "/" (e.g. "backups/"), got "/backups"',
    ]);
    expect(() => backupStatement(clustered, "../etc")).toThrow(/^ClickHouse backup: name: 1\.\.128 letters, digits, \., _ or - .*got "\.\.\/etc"/);
    expect(() => backupStatement({ ...clustered, destination: { kind: "file", directory: "rel/dir" } }, "n")).toThrow(/destination\.directory: an absolute path/);
    expect(() => restoreStatement(clustered, "n", { into: "x;DROP" })).toThrow(/into: letters, digits and _/);
    expect(checkClickHouseBackupSpec({ ...clustered, tables: ["t"], exclude: ["u"] })).toEqual(["exclude: only for a whole-database backup (tables is set)"]);
  });

  it("names: UTC to the second without colons; the placeholder is accepted where the job fills it in", () => {
    expect(timestampedBackupName(new Date("2026-11-25T01:17:03.456Z"))).toBe("2026-11-25T01-17-03Z");
    expect(backupLocation(clustered, BACKUP_NAME_PLACEHOLDER)).toBe(`backups/market/${BACKUP_NAME_PLACEHOLDER}/`);
  });

  it("server settings: S3 endpoint for the prefix with environment credentials (no key), or the allowed directory; as XML", () => {
    expect(backupServerSettings(s3)).toEqual({
      "s3/backups/endpoint": "https://data-prod-ch-backups-123456789012-eu-west-1.s3.eu-west-1.amazonaws.com/backups/",
      "s3/backups/use_environment_credentials": "true",
    });
    expect(renderServerSettingsXml({ ...backupServerSettings({ kind: "file", directory: "/b" }), "s3/x/endpoint": "http://h/a&b" })).toBe(
      "<clickhouse>\n  <backups>\n    <allowed_path>/b/</allowed_path>\n  </backups>\n  <s3>\n    <x>\n      <endpoint>http://h/a&amp;b</endpoint>\n    </x>\n  </s3>\n</clickhouse>\n",
    );
    expect(() => renderServerSettingsXml({ "a b/c": "1" })).toThrow(/key "a b\/c": each segment must be an XML element name/);
    expect(listBackupsQuery(s3, "market")).toContain("s3('https://data-prod-ch-backups-123456789012-eu-west-1.s3.eu-west-1.amazonaws.com/backups/market/*/.backup', 'RawBLOB')");
  });
});

describe("backups.clickhouseSchedule", () => {
  it.each(["17 1 * * *", "*/15 * * * *", "0 0-6/2 * * 1,3,5", "@daily", "0 0 1 1 7"])("accepts %s", (expr) => expect(cronProblem(expr)).toBeUndefined());
  it.each([
    ["61 * * * *", /^minute field "61": .*within 0\.\.59/],
    ["0 0 * * MON", /^day of week field "MON"/],
    ["5-1 * * * *", /^minute field "5-1"/],
    ["*/0 * * * *", /^minute field "\*\/0"/],
    ["* * *", /^a 5-field cron expression/],
  ])("refuses %s", (expr, message) => expect(cronProblem(expr)).toMatch(message));

  it("a bad schedule in the stack file fails naming the key", () => {
    const raw = readStackFile("prod") as unknown as Json;
    expect(() => parseStackConfig({ ...raw, backups: { ...raw.backups, clickhouseSchedule: "daily" } }, "prod")).toThrow(/backups\.clickhouseSchedule: a 5-field cron expression .* got "daily"/);
  });
});

describe("ClickHouse scheduled backup on Kubernetes (Pulumi mocks)", () => {
  it("prod: the CronJob's BACKUP writes under the prefix the lifecycle rule expires and the IRSA role may write", async () => {
    const run = await runProgram("prod");
    const job = run.one("kubernetes:batch/v1:CronJob", "clickhouse-backup").inputs as Json;
    const env = job.spec.jobTemplate.spec.template.spec.containers[0].env as Json[];
    const query = String(env.find((e) => e.name === "BACKUP_QUERY")!.value);
    const url = /TO S3\('https:\/\/([^.]+)\.s3\.eu-west-1\.amazonaws\.com\/([^']+)'\)$/.exec(query);
    expect(url, query).not.toBeNull();
    const [, bucket, key] = url!;
    const lifecycle = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws-clickhouse-lifecycle").inputs as Json;
    const retention = (lifecycle.rules as Json[]).find((r) => r.id === "retention")!;
    expect(retention.expiration).toEqual({ days: readStackFile("prod").backups.clickhouseRetentionDays });
    expect(key.startsWith(retention.filter.prefix)).toBe(true);
    expect(key).toBe(`${retention.filter.prefix}market/${BACKUP_NAME_PLACEHOLDER}/`);
    expect(run.one("aws:s3/bucket:Bucket", "aws-clickhouse-bucket").inputs.bucket).toBe(bucket);
    const policy = JSON.parse(String(run.one("aws:iam/rolePolicy:RolePolicy", "aws-clickhouse-role-policy").inputs.policy)) as Json;
    const objects = (policy.Statement as Json[]).find((s) => s.Sid === "ObjectsUnderOwnPrefix")!;
    expect(objects.Resource).toBe(`arn:aws:s3:::${bucket}/${retention.filter.prefix}*`);
    expect(query).toMatch(/ ON CLUSTER `trading` TO S3/);
    expect(query).not.toMatch(/AKIA|aws_secret|S3\('[^']*',/);
  });

  it("prod: the servers (which run BACKUP) carry the IRSA ServiceAccount and the S3 settings; the job only sends the statement", async () => {
    const run = await runProgram("prod");
    const sa = run.one("kubernetes:core/v1:ServiceAccount", "clickhouse-service-account").inputs as Json;
    const role = run.one("aws:iam/role:Role", "aws-clickhouse-role").inputs as Json;
    expect(sa.metadata).toMatchObject({ name: "clickhouse", namespace: "data-prod", annotations: { "eks.amazonaws.com/role-arn": `arn:aws:iam::123456789012:role/${role.name}` } });
    expect(Object.values(JSON.parse(String(role.assumeRolePolicy)).Statement[0].Condition.StringEquals)).toContain("system:serviceaccount:data-prod:clickhouse");
    const chi = run.one("kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation", "clickhouse-installation").inputs.spec as Json;
    expect(chi.templates.podTemplates[0].spec.serviceAccountName).toBe("clickhouse");
    expect(chi.configuration.settings).toMatchObject({ "s3/backups/use_environment_credentials": "true", "s3/backups/endpoint": expect.stringMatching(/^https:\/\/data-prod-ch-backups-.*\/backups\/$/) });
    expect(chi.configuration.users["backup/grants/query"]).toEqual(["GRANT BACKUP ON market.*", "GRANT CLUSTER ON *.*", "GRANT S3 ON *.*"]);
    expect(chi.configuration.users["backup/password_sha256_hex"]).toEqual({ valueFrom: { secretKeyRef: { name: "clickhouse-users", key: "backup_sha256" } } });
    const pod = (run.one("kubernetes:batch/v1:CronJob", "clickhouse-backup").inputs as Json).spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("prod: schedule from config, Forbid, retries, history, same image as the servers, password only from the Secret", async () => {
    const run = await runProgram("prod");
    const cfg = readStackFile("prod");
    const job = run.one("kubernetes:batch/v1:CronJob", "clickhouse-backup");
    const spec = job.inputs.spec as Json;
    expect(job.parent).toBe(run.one("data-platform:clickhouse:ClickHouseCluster", "clickhouse").urn);
    expect(spec).toMatchObject({ schedule: cfg.backups.clickhouseSchedule, timeZone: "Etc/UTC", concurrencyPolicy: "Forbid", successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 5 });
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 21_600 + 600 });
    const c = spec.jobTemplate.spec.template.spec.containers[0];
    expect(c.image).toBe(cfg.clickhouse.image);
    expect(c.env).toEqual(expect.arrayContaining([{ name: "CLICKHOUSE_PASSWORD", valueFrom: { secretKeyRef: { name: "clickhouse-users", key: "backup_password" } } }]));
    // The mocks' generated password for the backup user appears nowhere in the CronJob.
    expect(run.one("random:index/randomPassword:RandomPassword", "clickhouse-backup-password").inputs).toMatchObject({ length: 32 });
    expect(JSON.stringify(job.inputs)).not.toContain("mockclickhousebackuppassword");
  });

  it("prod: the CronJob validates (kubernetes-models) and its pod passes the production checklist (a Job has no probes)", async () => {
    const run = await runProgram("prod");
    const job = run.one("kubernetes:batch/v1:CronJob", "clickhouse-backup");
    expect(validateObject({ apiVersion: "batch/v1", kind: "CronJob", name: job.name, body: { ...job.inputs, apiVersion: "batch/v1", kind: "CronJob" } }).errors).toEqual([]);
    // The checklist reads Deployments/StatefulSets; present the Job's pod template in that shape.
    const template = (job.inputs.spec as Json).jobTemplate.spec.template;
    const asWorkload = { apiVersion: "apps/v1", kind: "Deployment", name: "clickhouse-backup", body: { spec: { replicas: 1, template } } };
    const probes = { rule: "probes", object: "Deployment/clickhouse-backup", reason: "a Job runs to completion; liveness/readiness do not apply" };
    expect(bestPracticeViolations([asWorkload], { requireAntiAffinity: true }, [probes])).toEqual([]);
  });

  it("dev and local: no bucket, so no CronJob and no IRSA ServiceAccount", async () => {
    for (const stack of ["dev", "local"] as const) {
      const run = await runProgram(stack);
      expect(run.byType("kubernetes:batch/v1:CronJob").filter((r) => r.name.startsWith("clickhouse"))).toEqual([]);
      expect(run.byType("kubernetes:core/v1:ServiceAccount").filter((r) => r.name.startsWith("clickhouse"))).toEqual([]);
    }
  });
});

describe("the CronJob's script (run by /bin/sh with a stand-in clickhouse-client)", () => {
  it("fills in the UTC name, keeps the password off the command line, passes the timeout", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ch-backup-script-"));
    try {
      // The stand-in records its arguments and the config file it was given.
      fs.writeFileSync(path.join(dir, "clickhouse-client"), `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\ncp "$2" "${dir}/conf"\nls -l "$2" | cut -c1-10 > "${dir}/mode"\n`, { mode: 0o755 });
      const query = backupStatement(clustered, BACKUP_NAME_PLACEHOLDER);
      const r = spawnSync("/bin/sh", ["-c", clickhouseBackupJobScript({ timeoutSeconds: 7200 })], {
        env: { PATH: `${dir}:/usr/bin:/bin`, TMPDIR: dir, BACKUP_QUERY: query, CLICKHOUSE_HOST: "clickhouse-clickhouse", CLICKHOUSE_USER: "backup", CLICKHOUSE_PASSWORD: "s3cretPassw0rd" },
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      const args = fs.readFileSync(path.join(dir, "args"), "utf8").trim().split("\n");
      const sent = args[args.indexOf("--query") + 1];
      expect(sent).toMatch(/^BACKUP DATABASE `market` ON CLUSTER `trading` TO S3\('https:\/\/[^']+\/backups\/market\/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\/'\)$/);
      expect(args).toEqual(expect.arrayContaining(["--host", "clickhouse-clickhouse", "--receive_timeout", "7200"]));
      expect(args.join(" ")).not.toContain("s3cretPassw0rd");
      expect(fs.readFileSync(path.join(dir, "conf"), "utf8")).toBe("<config><user>backup</user><password>s3cretPassw0rd</password></config>\n");
      expect(fs.readFileSync(path.join(dir, "mode"), "utf8").trim()).toBe("-rw-------");
      expect(r.stdout).toMatch(/backup \S+Z done/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
