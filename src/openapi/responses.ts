import { resolver } from "hono-openapi";
import { z } from "zod";

/** The app's one error shape (src/errors.ts), as the document shows it. */
export const ErrorBodySchema = z
  .object({
    error: z.object({ code: z.string().meta({ example: "unauthenticated" }), message: z.string() }).loose(),
  })
  .meta({ id: "Error" });

const ERROR_DESCRIPTIONS = {
  400: "Invalid body (`invalid_body`, naming the field) or a value the database cannot store",
  401: "No live session (`unauthenticated`)",
  403: "Signed in, but not allowed: tier too low (`tier_required`), not an admin (`admin_required`), or an untrusted Origin on a cookie request (`invalid_origin`)",
  404: "No such resource (`user_not_found`)",
  409: "A unique value was taken concurrently (`conflict`)",
  413: "Body larger than 64 KiB (`payload_too_large`)",
  429: "Too many requests from this client (`rate_limited`)",
  503: "The database is unavailable (`database_unavailable`); retry shortly",
} as const;

export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** Error answers for describeRoute, each in the app's error shape. */
export function errorResponses(...statuses: ErrorStatus[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: ERROR_DESCRIPTIONS[status], content: { "application/json": { schema: resolver(ErrorBodySchema) } } },
    ]),
  );
}

/** A 200 answer described by the zod schema the handler's output follows. */
export function jsonResponse(description: string, schema: z.ZodType) {
  return { description, content: { "application/json": { schema: resolver(schema) } } };
}

/**
 * How a request proves its session: better-auth's session cookie, or its
 * session token as a bearer token (the bearer plugin); named as better-auth's
 * own document names the schemes, so the merged document has one of each.
 */
export const SESSION_SECURITY: Record<string, string[]>[] = [{ apiKeyCookie: [] }, { bearerAuth: [] }];
