// No imports: the client package (src/client, built to dist/) ships this file.
export const TIERS = ["anonymous", "free", "member"] as const;
export type Tier = (typeof TIERS)[number];
