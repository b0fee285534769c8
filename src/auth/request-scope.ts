import { AsyncLocalStorage } from "node:async_hooks";
import type { MailBindings } from "../mail";

/**
 * What the auth instance, built once per isolate (index.ts), needs of the
 * request it is serving. Its database connection travels separately
 * (src/db/request-db.ts).
 */
export interface AuthRequest {
  /** The request's ExecutionContext.waitUntil: mail goes out after the response. */
  waitUntil: (promise: Promise<unknown>) => void;
  /** The Worker's env, for the send_email binding. */
  bindings: MailBindings;
}

interface Scope extends AuthRequest {
  /** requestLocal values, made on first use within this request. */
  locals: Map<object, unknown>;
}

const current = new AsyncLocalStorage<Scope>();

/** Runs `fn` (a request's handling) as `request`: requestLocal values start afresh. */
export function runAsAuthRequest<T>(request: AuthRequest, fn: () => T): T {
  return current.run({ ...request, locals: new Map() }, fn);
}

/** The request being served. Throws outside runAsAuthRequest: auth state never falls back to a shared one. */
export function authRequest(): AuthRequest {
  return scope();
}

function scope(): Scope {
  const found = current.getStore();
  if (!found) throw new Error("auth used outside a request (no runAsAuthRequest)");
  return found;
}

/**
 * A value that lives for one request, for the pieces of the auth instance
 * that remember something between a before hook and the handler or an after
 * hook (a counted sign-in attempt, a pending registration to replace). The
 * instance itself lives for the isolate and serves concurrent requests, so
 * such state cannot live in its closures.
 */
export function requestLocal<T>(init: () => T): () => T {
  const key = {};
  return () => {
    const { locals } = scope();
    if (!locals.has(key)) locals.set(key, init());
    return locals.get(key) as T;
  };
}
