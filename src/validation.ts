import { validator } from "hono/validator";
import type { z } from "zod";
import { errorResponse } from "./errors";

/**
 * Validates a JSON body with a zod schema; a malformed or invalid body is a
 * 400 in the app's error shape, naming the first offending field.
 */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return validator("json", (value, c) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      return errorResponse(c, 400, "invalid_body", `${where}${issue?.message ?? "invalid body"}`);
    }
    return parsed.data as z.output<T>;
  });
}
