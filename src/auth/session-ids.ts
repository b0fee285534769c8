import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthEndpoint, createAuthMiddleware, sensitiveSessionMiddleware, sessionMiddleware } from "better-auth/api";
import { defaultRoles } from "better-auth/plugins/admin/access";
import { deleteSessionCookie } from "better-auth/cookies";
import { z } from "zod";

interface AdminOptions {
  adminUserIds?: string[];
  defaultRole?: string;
  roles?: Record<string, { authorize(request: Record<string, string[]>): { success: boolean } }>;
}

/** The admin plugin's own rule for revoking other users' sessions (its hasPermission, for `session: ["revoke"]`). */
function mayRevokeSessions(options: AdminOptions | undefined, user: { id: string; role?: string | null }): boolean {
  if (!options) return false;
  if (options.adminUserIds?.includes(user.id)) return true;
  const roles: AdminOptions["roles"] = options.roles ?? defaultRoles;
  return (user.role || options.defaultRole || "user")
    .split(",")
    .some((role) => roles[role.trim()]?.authorize({ session: ["revoke"] }).success === true);
}

/** Where better-auth lists sessions with their `token`. */
const LISTING_PATHS = new Set(["/list-sessions", "/admin/list-user-sessions"]);

/** A session as listed: everything better-auth returns except the token. */
function withoutToken<T extends object>(session: T): Omit<T, "token"> {
  const { token: _token, ...rest } = session as T & { token?: unknown };
  return rest;
}

/**
 * Sessions are identified by id, never by token: a token is a credential,
 * and a listing in a browser's JavaScript must not hand out the others'.
 *
 * - `GET /list-sessions` and `POST /admin/list-user-sessions` answer without
 *   `token` (better-auth's own endpoints, trimmed after they run);
 * - `POST /revoke-session-by-id` `{ id }` revokes one of the caller's own
 *   sessions, `{ status: true }` as better-auth's revoke-session answers
 *   (whether or not the id was one of theirs, so it tells nothing about
 *   other users' sessions). better-auth's revoke-session still takes a raw
 *   token, for clients that hold one;
 * - `POST /admin/revoke-user-session-by-id` `{ sessionId }` is the admin
 *   plugin's revoke-user-session by id, with the same permission
 *   (`session: ["revoke"]`) and answer, now that admins see no tokens.
 */
export const sessionIds = () =>
  ({
    id: "session-ids",
    endpoints: {
      revokeSessionById: createAuthEndpoint(
        "/revoke-session-by-id",
        {
          method: "POST",
          body: z.object({ id: z.string().min(1).meta({ description: "The id of the session to revoke, from list-sessions" }) }),
          use: [sensitiveSessionMiddleware],
          requireHeaders: true,
          metadata: {
            openapi: {
              description: "Revoke one of the signed-in user's sessions by its id",
              responses: {
                "200": {
                  description: "Success",
                  content: {
                    "application/json": {
                      schema: { type: "object", properties: { status: { type: "boolean" } }, required: ["status"] },
                    },
                  },
                },
              },
            },
          },
        },
        async (ctx) => {
          const current = ctx.context.session;
          // Both conditions in one statement: another user's id deletes nothing.
          await ctx.context.adapter.delete({
            model: "session",
            where: [
              { field: "id", value: ctx.body.id },
              { field: "userId", value: current.user.id },
            ],
          });
          if (ctx.body.id === current.session.id) deleteSessionCookie(ctx);
          return ctx.json({ status: true });
        },
      ),
      revokeUserSessionById: createAuthEndpoint(
        "/admin/revoke-user-session-by-id",
        {
          method: "POST",
          body: z.object({ sessionId: z.string().min(1).meta({ description: "The id of the session, from admin/list-user-sessions" }) }),
          use: [sessionMiddleware],
          requireHeaders: true,
          metadata: {
            openapi: {
              description: "Revoke any user's session by its id (admins with the session revoke permission)",
              responses: {
                "200": {
                  description: "Session revoked",
                  content: { "application/json": { schema: { type: "object", properties: { success: { type: "boolean" } } } } },
                },
              },
            },
          },
        },
        async (ctx) => {
          const { user } = ctx.context.session;
          // The admin plugin's options as it runs with them (adminUserIds, roles).
          const admin = ctx.context.options.plugins?.find((plugin) => plugin.id === "admin") as { options?: AdminOptions } | undefined;
          if (!mayRevokeSessions(admin?.options, user)) {
            throw APIError.from("FORBIDDEN", {
              code: "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS",
              message: "You are not allowed to revoke users sessions",
            });
          }
          await ctx.context.adapter.delete({ model: "session", where: [{ field: "id", value: ctx.body.sessionId }] });
          return ctx.json({ success: true });
        },
      ),
    },
    hooks: {
      after: [
        {
          matcher: (ctx) => LISTING_PATHS.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            const returned = ctx.context.returned;
            if (Array.isArray(returned)) return ctx.json(returned.map(withoutToken));
            if (returned && typeof returned === "object" && "sessions" in returned && Array.isArray(returned.sessions)) {
              return ctx.json({ ...returned, sessions: returned.sessions.map(withoutToken) });
            }
          }),
        },
      ],
    },
  }) satisfies BetterAuthPlugin;
