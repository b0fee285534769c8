import { sql } from "drizzle-orm";
import type { Database } from "../db/client";

export interface CleanupLimits {
  /** Rows deleted per statement: bounds lock time and WAL per batch. */
  batchSize: number;
  /** Stop starting new batches after this long; the next run continues. */
  budgetMs: number;
}

export const DEFAULT_CLEANUP_LIMITS: CleanupLimits = { batchSize: 1_000, budgetMs: 20_000 };

/** Tables with an indexed `expires_at` whose expired rows are dead weight. */
export const CLEANUP_TABLES = ["verification", "session"] as const;
export type CleanupTable = (typeof CLEANUP_TABLES)[number];

export interface CleanupReport {
  deleted: Record<CleanupTable, number>;
  batches: number;
  /** Longest single batch, in milliseconds. */
  longestBatchMs: number;
  durationMs: number;
  stoppedOnBudget: boolean;
}

/**
 * Deletes rows whose `expires_at` is before `now`, one bounded batch at a time.
 *
 * Each batch is its own statement (so its own short transaction) and claims
 * rows with `FOR UPDATE SKIP LOCKED`: a live sign-in touching a session is
 * never waited on, and two overlapping runs split the rows instead of
 * deleting or blocking on the same ones.
 */
export async function cleanupExpired(
  db: Database,
  now: Date,
  limits: CleanupLimits = DEFAULT_CLEANUP_LIMITS,
  clock: () => number = () => performance.now(),
): Promise<CleanupReport> {
  const started = clock();
  const report: CleanupReport = {
    deleted: { verification: 0, session: 0 },
    batches: 0,
    longestBatchMs: 0,
    durationMs: 0,
    stoppedOnBudget: false,
  };
  for (const table of CLEANUP_TABLES) {
    const target = sql.identifier(table);
    for (;;) {
      if (clock() - started >= limits.budgetMs) {
        report.stoppedOnBudget = true;
        break;
      }
      const batchStarted = clock();
      const result = await db.execute(sql`
        delete from ${target} where id in (
          select id from ${target}
          where expires_at < ${now.toISOString()}::timestamptz
          order by expires_at
          limit ${limits.batchSize}
          for update skip locked
        )`);
      const deleted = result.rowCount ?? 0;
      report.batches += 1;
      report.deleted[table] += deleted;
      report.longestBatchMs = Math.max(report.longestBatchMs, clock() - batchStarted);
      if (deleted < limits.batchSize) break;
    }
    if (report.stoppedOnBudget) break;
  }
  report.durationMs = clock() - started;
  return report;
}
