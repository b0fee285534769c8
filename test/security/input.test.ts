// Input: names and addresses are bounded and free of control and bidi
// characters on every route that stores them.
import { describe, expect, it } from "vitest";
import { envWith, postJson, signUp, uniqueEmail, withSql } from "../helpers";
import { makeAdmin } from "./helpers";

const PASSWORD = "correct horse battery staple";
const signUpWith = (body: Record<string, unknown>, workerEnv?: Env) =>
  postJson("/api/auth/sign-up/email", { email: uniqueEmail("input"), password: PASSWORD, name: "Fine Name", ...body }, {}, workerEnv);

async function expectRefused(response: Response, code: string, field: string) {
  expect(response.status).toBe(400);
  const body = (await response.json()) as { code: string; message: string };
  expect(body.code).toBe(code);
  expect(body.message).toContain(field);
}

describe("input", () => {
  it("a name with CR LF, a Bcc header and an ANSI escape is refused, naming the field (finding 5)", async () => {
    const email = uniqueEmail("header-injection");
    await expectRefused(await signUpWith({ email, name: "Eve\r\nBcc: x@evil.example\u001b[2J" }), "INVALID_NAME", "name");
    expect((await withSql((sql) => sql.query(`select 1 from "user" where email = $1`, [email]))).rowCount).toBe(0);
  });

  it("a 10,000-character name is refused (finding 5)", async () => {
    await expectRefused(await signUpWith({ name: "n".repeat(10_000) }), "INVALID_NAME", "name");
  });

  it("a 10,000-character email address is refused (finding 5)", async () => {
    await expectRefused(await signUpWith({ email: `${"a".repeat(10_000)}@example.test` }), "INVALID_EMAIL", "email");
  });

  it("a right-to-left override in a name is refused", async () => {
    await expectRefused(await signUpWith({ name: "Invoice \u202Egpj.exe" }), "INVALID_NAME", "name");
  });

  it("a C1 control or DEL in a name is refused", async () => {
    await expectRefused(await signUpWith({ name: "Bad\u0085Name" }), "INVALID_NAME", "name");
    await expectRefused(await signUpWith({ name: "Bad\u007fName" }), "INVALID_NAME", "name");
  });

  it("NAME_MAX_LENGTH bounds the name: 200 by default, configurable", async () => {
    expect((await signUpWith({ name: "n".repeat(200) })).status).toBe(200);
    await expectRefused(await signUpWith({ name: "n".repeat(201) }), "INVALID_NAME", "name");
    await expectRefused(await signUpWith({ name: "n".repeat(21) }, envWith({ NAME_MAX_LENGTH: "20" })), "INVALID_NAME", "name");
  });

  it("update-user refuses a control character in the name", async () => {
    const { cookie } = await signUp();
    await expectRefused(await postJson("/api/auth/update-user", { name: "New\nName" }, { headers: { cookie } }), "INVALID_NAME", "name");
  });

  it("change-email refuses an address longer than 254 characters", async () => {
    const { cookie } = await signUp();
    const long = `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.test`;
    await expectRefused(await postJson("/api/auth/change-email", { newEmail: long }, { headers: { cookie } }), "INVALID_EMAIL", "newEmail");
  });

  it("the admin's create-user and update-user refuse control characters too", async () => {
    const admin = await signUp();
    await makeAdmin(admin.user.id);
    const headers = { cookie: admin.cookie };
    await expectRefused(
      await postJson("/api/auth/admin/create-user", { email: uniqueEmail("admin-made"), password: PASSWORD, name: "Tab\tName" }, { headers }),
      "INVALID_NAME",
      "name",
    );
    const target = await signUp();
    await expectRefused(
      await postJson("/api/auth/admin/update-user", { userId: target.user.id, data: { name: "Bidi\u2066Name" } }, { headers }),
      "INVALID_NAME",
      "name",
    );
  });
});
