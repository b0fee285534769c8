import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import pg from "pg";
import { migrate } from "../../scripts/lib/migrate";

describe("migrations", () => {
  it("are all applied by the test setup, so a second run applies nothing", async () => {
    const result = await migrate(inject("databaseUrl"));
    expect(result.applied).toEqual([]);
    expect(result.skipped).toBeGreaterThan(0);
  });

  it("enforce the tier CHECK constraint", async () => {
    const client = new pg.Client({ connectionString: inject("databaseUrl") });
    await client.connect();
    try {
      const id = `check-${crypto.randomUUID()}`;
      await expect(
        client.query(`insert into "user" (id, name, email, tier) values ($1, 'x', $2, 'gold')`, [id, `${id}@example.test`]),
      ).rejects.toThrow(/user_tier_check/);
    } finally {
      await client.end();
    }
  });
});
