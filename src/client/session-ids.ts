import type { BetterAuthClientPlugin } from "better-auth/client";
import type { sessionIds } from "../auth/session-ids";

/** Types `revokeSessionById({ id })` and `admin.revokeUserSessionById({ sessionId })` on the client. */
export const sessionIdsClient = () =>
  ({
    id: "session-ids",
    $InferServerPlugin: {} as ReturnType<typeof sessionIds>,
  }) satisfies BetterAuthClientPlugin;
