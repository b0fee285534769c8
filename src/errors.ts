import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { describeError, isConnectionError, sqlState } from "./db/client";

export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

/** The one shape of every error the app itself produces. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
) {
  return c.json<ErrorBody>({ error: { code, message, ...details } }, status);
}

const STATUS_CODES: Partial<Record<number, string>> = {
  400: "bad_request",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

export function onError(err: Error, c: Context) {
  if (isConnectionError(err)) {
    console.error(`database_unavailable: ${describeError(err)}`);
    return errorResponse(c, 503, "database_unavailable", "The database is unavailable; try again shortly");
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return errorResponse(c, status, STATUS_CODES[status] ?? "http_error", err.message || "Request failed");
  }
  const state = sqlState(err);
  // SQLSTATE class 22 (data exception: a NUL byte, an out-of-range number...)
  // means the request carried a value the database cannot take.
  if (state?.startsWith("22")) {
    return errorResponse(c, 400, "bad_request", "The request contains a value the database cannot store");
  }
  // A unique value (an email address) taken by someone else in the meantime.
  if (state === "23505") {
    return errorResponse(c, 409, "conflict", "That value is already in use");
  }
  // Unexpected: log what went wrong (never query parameters), tell the client nothing internal.
  console.error(`unhandled_error: ${describeError(err)}`);
  return errorResponse(c, 500, "internal_error", "Internal server error");
}

export function notFound(c: Context) {
  return errorResponse(c, 404, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`);
}
