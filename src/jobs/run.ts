// Runs the cleanup job with its config and its one log line. Free of Workers
// globals so `npm run cleanup` can use it from Node; the cron handler is in index.ts.
import { z } from "zod";
import { connect, describeError, isConnectionError } from "../db/client";
import {
  CleanupError,
  cleanupExpired,
  DEFAULT_CLEANUP_LIMITS,
  emptyReport,
  type CleanupLimits,
  type CleanupReport,
} from "./cleanup-expired";

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
    console.error(
      `config_invalid: CLEANUP_BATCH_SIZE must be an integer in 1..100000 and CLEANUP_BUDGET_MS in 1..600000; using defaults`,
    );
    return DEFAULT_CLEANUP_LIMITS;
  }
  return { batchSize: parsed.data.CLEANUP_BATCH_SIZE, budgetMs: parsed.data.CLEANUP_BUDGET_MS };
}

/**
 * One cleanup run over its own connection, reported as exactly one JSON log
 * line: `console.log` on success, `console.error` (then rethrow) on failure.
 * Shared by the cron trigger and `npm run cleanup`, so both log the same shape:
 *
 *   {"event":"cleanup_expired","trigger":"cron","cron":"0 * * * *","now":"2026-11-23T17:00:00.000Z",
 *    "batchSize":1000,"budgetMs":20000,"ok":true,"deleted":{"session":0,"verification":2500},
 *    "batches":5,"largestBatchRows":1000,"longestBatchMs":8,"durationMs":16,"stoppedOnBudget":false}
 *
 * A failed run adds `"error"` and `"errorKind"` (`database_unavailable` when
 * the database could not be reached or dropped the connection) and reports
 * what it had deleted before failing; those batches are committed, the rest
 * is left to the next run.
 */
export async function runCleanup(
  connectionString: string,
  now: Date,
  limits: CleanupLimits,
  context: Record<string, unknown> = {},
): Promise<CleanupReport> {
  const head = { event: "cleanup_expired", ...context, now: now.toISOString(), ...limits };
  try {
    const connection = await connect(connectionString);
    let report: CleanupReport;
    try {
      report = await cleanupExpired(connection.db, now, limits);
    } finally {
      await connection.close();
    }
    console.log(JSON.stringify({ ...head, ok: true, ...report }));
    return report;
  } catch (err) {
    const cause = err instanceof CleanupError ? err.cause : err;
    console.error(
      JSON.stringify({
        ...head,
        ok: false,
        errorKind: isConnectionError(cause) ? "database_unavailable" : "error",
        error: describeError(cause),
        ...(err instanceof CleanupError ? err.report : emptyReport()),
      }),
    );
    throw err;
  }
}
