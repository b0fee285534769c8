import { describeError } from "../db/client";

type Level = "debug" | "info" | "warn" | "error";

/**
 * better-auth's log lines, without their payloads: it passes the objects it
 * was working on (a failed query's parameters, so session tokens, emails and
 * password hashes), and those must not reach the Worker's logs. Errors keep
 * their names, SQLSTATE and driver message.
 */
export const authLogger = {
  level: "warn" as const,
  log(level: Level, message: string, ...args: unknown[]) {
    const errors = args.filter((a): a is Error => a instanceof Error).map(describeError);
    const line = `better-auth ${level}: ${message}${errors.length ? ` (${errors.join("; ")})` : ""}`;
    if (level === "error") console.error(line);
    else console.warn(line);
  },
};
