import { z } from "zod";
import { connect } from "../db/client";
import { cleanupExpired, DEFAULT_CLEANUP_LIMITS, type CleanupLimits } from "./cleanup-expired";

const LimitsSchema = z.object({
  CLEANUP_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_CLEANUP_LIMITS.batchSize),
  CLEANUP_BUDGET_MS: z.coerce.number().int().min(1).max(600_000).default(DEFAULT_CLEANUP_LIMITS.budgetMs),
});

export function cleanupLimits(env: Partial<Record<keyof z.input<typeof LimitsSchema>, unknown>>): CleanupLimits {
  const parsed = LimitsSchema.safeParse({
    CLEANUP_BATCH_SIZE: env.CLEANUP_BATCH_SIZE || undefined,
    CLEANUP_BUDGET_MS: env.CLEANUP_BUDGET_MS || undefined,
  });
  if (!parsed.success) {
    console.error(`config_invalid: CLEANUP_BATCH_SIZE / CLEANUP_BUDGET_MS must be positive integers; using defaults`);
    return DEFAULT_CLEANUP_LIMITS;
  }
  return { batchSize: parsed.data.CLEANUP_BATCH_SIZE, budgetMs: parsed.data.CLEANUP_BUDGET_MS };
}

/** The cron trigger: one cleanup run, reported as one JSON log line. */
export async function runScheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const now = new Date(controller.scheduledTime);
  const limits = cleanupLimits(env);
  try {
    const connection = await connect(env.HYPERDRIVE.connectionString);
    try {
      const report = await cleanupExpired(connection.db, now, limits);
      console.log(JSON.stringify({ event: "cleanup_expired", ok: true, cron: controller.cron, ...report }));
    } finally {
      await connection.close();
    }
  } catch (err) {
    console.error(
      JSON.stringify({
        event: "cleanup_expired",
        ok: false,
        cron: controller.cron,
        error: err instanceof Error ? err.message : String(err),
      }),
    );
    // Rethrown so the platform records the invocation as failed.
    throw err;
  }
}
