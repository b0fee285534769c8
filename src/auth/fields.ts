// The user fields edge-auth adds to better-auth's, in better-auth's field
// format: the server's auth options and the client package's
// inferAdditionalFields read this one definition. No imports beyond the
// tiers, so the client package can ship it.
import { TIERS } from "../db/schema/tiers.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

type UserFields = {
  tier: { type: Mutable<typeof TIERS>; required: true; defaultValue: "free"; input: false };
};

export const USER_FIELDS: UserFields = {
  // input: false: no sign-up or update-user body can set it; only the admin
  // tier route changes it (and records who did).
  tier: { type: [...TIERS], required: true, defaultValue: "free", input: false },
};
