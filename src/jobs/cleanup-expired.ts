import { sql } from "drizzle-orm";
import type { Database } from "../db/client";

export interface CleanupLimits {
  /** Rows deleted per statement: bounds lock time and WAL per batch. */
  batchSize: number;
  /** Stop starting new batches after this long; the next run continues. */
  budgetMs: number;
}

export const DEFAULT_CLEANUP_LIMITS: CleanupLimits = { batchSize: 1_000, budgetMs: 20_000 };

/**
 * Tables with an indexed `expires_at` whose expired rows are dead weight.
 *
 * better-auth's optional `rateLimit` table is deliberately not here: it has no
 * expiry column (only `last_request`, whose meaning depends on the configured
 * windows), no index to walk, and better-auth prunes it itself when a window
 * resets. This app counts requests with Cloudflare's rate limiting binding
 * (AUTH_RATE_LIMITER), so the table does not exist. A table added here must have an `id` primary key and an index on
 * `expires_at`.
 */
export const CLEANUP_TABLES = ["session", "verification"] as const;
export type CleanupTable = (typeof CLEANUP_TABLES)[number];

export interface CleanupReport {
  /** Rows this run deleted, per table. */
  deleted: Record<CleanupTable, number>;
  /** DELETE statements this run executed, all tables together. */
  batches: number;
  /** Most rows a single batch deleted (never more than `batchSize`). */
  largestBatchRows: number;
  /** Longest single batch, in milliseconds. */
  longestBatchMs: number;
  durationMs: number;
  /** True when the run stopped with expired rows possibly left for the next run. */
  stoppedOnBudget: boolean;
}

/** A run that failed part-way: `report` says what it had already deleted (those deletes are committed). */
export class CleanupError extends Error {
  override readonly name = "CleanupError";
  constructor(
    readonly report: CleanupReport,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

export function emptyReport(): CleanupReport {
  return {
    deleted: Object.fromEntries(CLEANUP_TABLES.map((t) => [t, 0])) as Record<CleanupTable, number>,
    batches: 0,
    largestBatchRows: 0,
    longestBatchMs: 0,
    durationMs: 0,
    stoppedOnBudget: false,
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Deletes rows whose `expires_at` is before `now` (strictly: a row expiring
 * exactly at `now` stays), one bounded batch at a time.
 *
 * Each batch is one statement, so its own short transaction in autocommit. It
 * walks the `expires_at` index oldest first and claims rows with
 * `FOR UPDATE SKIP LOCKED`: a row some request holds is skipped, never waited
 * on (the next run takes it), and two overlapping runs split the rows between
 * them instead of deleting or blocking on the same ones. The CTE is
 * MATERIALIZED so the locking subquery runs exactly once per statement,
 * whatever join the planner picks for the DELETE.
 *
 * Tables are visited round-robin, one batch each in turn, so a large backlog
 * in one table cannot starve the other when the budget runs out. A table is
 * done for this run when a batch comes back short. The budget is checked
 * before each batch; a batch already started finishes.
 *
 * Works with any node-postgres Drizzle instance: the Worker's per-request
 * client, or a `pg.Client` / `pg.Pool` from Node (`npm run cleanup`).
 */
export async function cleanupExpired(
  db: Database,
  now: Date,
  limits: CleanupLimits = DEFAULT_CLEANUP_LIMITS,
  clock: () => number = () => performance.now(),
): Promise<CleanupReport> {
  if (!Number.isInteger(limits.batchSize) || limits.batchSize < 1) throw new RangeError("batchSize must be a positive integer");
  if (!(limits.budgetMs > 0)) throw new RangeError("budgetMs must be positive");
  const cutoff = now.toISOString(); // throws on an invalid date rather than deleting on NaN
  const started = clock();
  const report = emptyReport();
  const pending: CleanupTable[] = [...CLEANUP_TABLES];
  try {
    while (pending.length > 0) {
      for (const table of [...pending]) {
        if (clock() - started >= limits.budgetMs) {
          report.stoppedOnBudget = true;
          return report;
        }
        const target = sql.identifier(table);
        const batchStarted = clock();
        const result = await db.execute(sql`
          with doomed as materialized (
            select id from ${target}
            where expires_at < ${cutoff}::timestamptz
            order by expires_at
            limit ${limits.batchSize}
            for update skip locked
          )
          delete from ${target} where id in (select id from doomed)`);
        const deleted = result.rowCount ?? 0;
        report.batches += 1;
        report.deleted[table] += deleted;
        report.largestBatchRows = Math.max(report.largestBatchRows, deleted);
        report.longestBatchMs = Math.max(report.longestBatchMs, round(clock() - batchStarted));
        if (deleted < limits.batchSize) pending.splice(pending.indexOf(table), 1);
      }
    }
    return report;
  } catch (err) {
    throw new CleanupError(report, err);
  } finally {
    report.durationMs = round(clock() - started);
  }
}
