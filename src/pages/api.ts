import type { Context } from "hono";
import type { AppEnv } from "../env";

/** The Worker's own fetch, so pages call the public API as any client would. */
export type ApiFetch = (request: Request, env: Env, ctx: Context<AppEnv>["executionCtx"]) => Response | Promise<Response>;

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  ok: boolean;
  body: T | null;
  /** The Set-Cookie lines of the answer (a new or cleared session). */
  cookies: string[];
  /** The machine-readable code of an error answer, in either error shape. */
  code?: string;
  message?: string;
}

// What a browser's request tells the API about its client: its session, the
// page's origin (for better-auth's CSRF checks), its device and its address.
const FORWARDED = ["cookie", "origin", "user-agent", "accept-language", "cf-connecting-ip"];

/**
 * One call of the public API on behalf of the browser that asked for a page.
 * It goes through the same app (middleware, rate limits, origin checks) as a
 * request from outside: the pages hold no privilege of their own.
 */
export async function callApi<T = Record<string, unknown>>(
  c: Context<AppEnv>,
  api: ApiFetch,
  path: string,
  init: { method?: "GET" | "POST"; body?: unknown } = {},
): Promise<ApiAnswer<T>> {
  const headers = new Headers();
  for (const name of FORWARDED) {
    const value = c.req.header(name);
    if (value) headers.set(name, value);
  }
  if (init.body !== undefined) headers.set("content-type", "application/json");
  const request = new Request(new URL(path, c.req.url), {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const response = await api(request, c.env, c.executionCtx);
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  // better-auth answers { code, message }; the app's routes { error: { code, message } }.
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error ?? (body as { code?: string; message?: string } | null);
  return {
    status: response.status,
    ok: response.ok,
    body: body as T | null,
    cookies: response.headers.getSetCookie(),
    code: response.ok ? undefined : error?.code,
    message: response.ok ? undefined : error?.message,
  };
}
