import { cleanupLimits, runCleanup } from "./run";

export { cleanupExpired, CleanupError, DEFAULT_CLEANUP_LIMITS, type CleanupLimits, type CleanupReport } from "./cleanup-expired";
export { cleanupLimits, runCleanup } from "./run";

/** The cron trigger: one cleanup run with `now` = the scheduled time. */
export async function runScheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  // Rethrows on failure so the platform records the invocation as failed.
  await runCleanup(env.HYPERDRIVE.connectionString, new Date(controller.scheduledTime), cleanupLimits(env), {
    trigger: "cron",
    cron: controller.cron,
  });
}
