// Stock better-auth on Workers, as its docs and Cloudflare's Hyperdrive docs
// set it up: a pg Client per request, Drizzle over it, betterAuth() with
// email and password (default scrypt hashing, no cookie cache), mounted in
// Hono. The bench's point of comparison; nothing here is edge-auth's.
import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { sql } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { Hono } from "hono";
import { Client } from "pg";
import * as schema from "./schema";

// The peer's bindings (its own wrangler.toml); edge-auth's Env comes from
// `wrangler types`, which describes the main Worker only.
interface PeerEnv {
  HYPERDRIVE: Hyperdrive;
  APP_SECRET: string;
  AUTH_BASE_URL: string;
}

type Db = NodePgDatabase<typeof schema>;
const app = new Hono<{ Bindings: PeerEnv; Variables: { db: Db } }>();

// A connection per request, closed after the response.
app.use(async (c, next) => {
  const client = new Client({ connectionString: c.env.HYPERDRIVE.connectionString });
  await client.connect();
  c.set("db", drizzle(client, { schema }));
  try {
    await next();
  } finally {
    c.executionCtx.waitUntil(client.end());
  }
});

app.get("/api/health", async (c) => {
  await c.var.db.execute(sql`select 1`);
  return c.json({ status: "ok" });
});

app.on(["GET", "POST"], "/api/auth/*", (c) => {
  const auth = betterAuth({
    baseURL: new URL(c.env.AUTH_BASE_URL).origin,
    basePath: "/api/auth",
    secret: c.env.APP_SECRET,
    database: drizzleAdapter(c.var.db, { provider: "pg", schema }),
    emailAndPassword: { enabled: true },
    // The bench gives every request its own client address.
    rateLimit: { enabled: false },
    advanced: { ipAddress: { ipAddressHeaders: ["cf-connecting-ip"] } },
    telemetry: { enabled: false },
  });
  return auth.handler(c.req.raw);
});

export default app;
