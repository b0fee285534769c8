import { validator } from "hono-openapi";
import type { z } from "zod";
import { errorResponse } from "./errors";

/**
 * Validates a JSON body with a zod schema (and documents it: hono-openapi
 * reads the same schema into /api/openapi.json); a malformed or invalid body
 * is a 400 in the app's error shape, naming the first offending field.
 */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return validator("json", schema, (result, c) => {
    if (result.success) return;
    const issue = result.error[0];
    const path = issue?.path?.map((p) => (typeof p === "object" ? p.key : p)).join(".");
    return errorResponse(c, 400, "invalid_body", `${path ? `${path}: ` : ""}${issue?.message ?? "invalid body"}`);
  });
}
