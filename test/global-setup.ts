// Runs in Node before the workerd test pool starts: choose a real PostgreSQL,
// apply the migrations, start a mail catcher for the Worker's HTTP mail
// transport, and hand both URLs to vitest.config.ts.
import type { TestProject } from "vitest/node";
import { startMailCatcher } from "../scripts/lib/mail-catcher";
import { startOidcProvider, TEST_OIDC_CLIENT } from "./oidc-provider";
import { migrate } from "../scripts/lib/migrate";
import { startPgWireCounterService } from "../scripts/lib/pg-wire-counter";
import { canConnect, redact, startEmbeddedPostgres, withPassword, type EmbeddedPostgres } from "../scripts/lib/postgres";

declare module "vitest" {
  interface ProvidedContext {
    databaseUrl: string;
    mailCatcherUrl: string;
    mailApiKey: string;
    pgCounterUrl: string;
    oidcIssuer: string;
    oidcClientId: string;
    oidcClientSecret: string;
  }
}

/** The key the test mail catcher demands; vitest.config.ts gives it to the Worker as EMAIL_API_KEY. */
const TEST_MAIL_API_KEY = "re_test_key_for_the_catcher";

/** The Worker's public origin in tests (wrangler.toml's AUTH_BASE_URL; test/helpers.ts ORIGIN). */
const TEST_ORIGIN = "http://localhost:8787";

const LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/test";

export default async function setup({ provide }: TestProject) {
  let embedded: EmbeddedPostgres | undefined;
  let url = process.env.DATABASE_URL;
  let source = "DATABASE_URL";
  if (!url) {
    if (await canConnect(LOCAL_POSTGRES)) {
      url = LOCAL_POSTGRES;
      source = "local server";
    } else {
      embedded = await startEmbeddedPostgres();
      url = embedded.url;
      source = "embedded PGlite";
      console.warn(
        "tests: no PostgreSQL server found (DATABASE_URL unset, nothing on 127.0.0.1:5432); using the embedded PGlite. " +
          "It runs every connection in one session, so the tests of concurrent runs and lost connections cannot pass on it.",
      );
    }
  }
  await migrate(url);
  console.log(`tests: database ${redact(url)} (${source})`);
  provide("databaseUrl", withPassword(url));
  // One catcher for every test file; tests find their mail by recipient.
  // It checks the bearer key like the real provider does.
  const catcher = await startMailCatcher({ limit: 10_000, apiKey: TEST_MAIL_API_KEY });
  provide("mailCatcherUrl", catcher.url);
  provide("mailApiKey", TEST_MAIL_API_KEY);
  // Counting proxies in front of the database: tests prove on the wire that a
  // request opened no connection and ran no statement.
  const counters = await startPgWireCounterService(url);
  provide("pgCounterUrl", counters.url);
  // A real OpenID Connect provider; test/providers.test.ts turns the Worker's
  // OIDC_* variables on with it (the shared env has no provider configured).
  const oidc = await startOidcProvider([`${TEST_ORIGIN}/api/auth/callback/oidc`]);
  provide("oidcIssuer", oidc.issuer);
  provide("oidcClientId", TEST_OIDC_CLIENT.id);
  provide("oidcClientSecret", TEST_OIDC_CLIENT.secret);
  return async () => {
    await oidc.stop();
    await counters.stop();
    await catcher.stop();
    await embedded?.stop();
  };
}
