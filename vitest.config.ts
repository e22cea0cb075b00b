import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: process.env.CI ? ["default", "junit"] : ["default"],
    outputFile: { junit: "reports/junit.xml" },
    // Real servers are shared by every integration file and failover tests kill nodes: one file at a time.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["tests/integration/setup/global-setup.ts"],
          // Each file in its own process: chdb binds one data directory per process.
          pool: "forks",
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          // The real Pulumi engine (PULUMI_BIN from scripts/ensure-pulumi.sh); skips with the reason without one.
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          environment: "node",
          pool: "forks",
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
