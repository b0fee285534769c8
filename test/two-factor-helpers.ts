// Helpers for the two-factor tests: a cookie jar, and a user with TOTP on,
// whose codes the `otpauth` package computes as an authenticator app does.
import * as OTPAuth from "otpauth";
import { expect } from "vitest";
import { postJson, randomClientAddress, signUp } from "./helpers";

/** Cookies as a browser keeps them: later Set-Cookie headers replace or remove earlier ones. */
export class Jar {
  private cookies = new Map<string, string>();
  constructor(header = "") {
    for (const pair of header.split("; ").filter(Boolean)) {
      const at = pair.indexOf("=");
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }
  take(response: Response): this {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1);
      const gone = !value || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }
  has(name: string): boolean {
    return [...this.cookies.keys()].some((key) => key.endsWith(name));
  }
  get header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

/** A POST with this jar's cookies, taking the response's cookies back into it. */
export async function post(jar: Jar, path: string, body: unknown, workerEnv?: Env): Promise<Response> {
  const response = await postJson(path, body, { headers: { cookie: jar.header, "cf-connecting-ip": randomClientAddress() } }, workerEnv);
  jar.take(response);
  return response;
}

/** Signs a user up and turns TOTP on, as a user with an authenticator app does. */
export async function userWithTwoFactor(workerEnv?: Env) {
  const account = await signUp();
  const jar = new Jar(account.cookie);
  const enabled = await post(jar, "/api/auth/two-factor/enable", { password: account.password }, workerEnv);
  expect(enabled.status).toBe(200);
  const { totpURI, backupCodes } = (await enabled.json()) as { totpURI: string; backupCodes: string[] };
  const totp = OTPAuth.URI.parse(totpURI) as OTPAuth.TOTP;
  const finished = await post(jar, "/api/auth/two-factor/verify-totp", { code: totp.generate() }, workerEnv);
  expect(finished.status).toBe(200);
  return { ...account, jar, totp, totpURI, backupCodes };
}

/** The code for the step `steps` away from now (the server accepts one step either side). */
export const codeAt = (totp: OTPAuth.TOTP, steps: number) => totp.generate({ timestamp: Date.now() + steps * 30_000 });

/** A password sign-in from a fresh browser (or `jar`): the first of two steps for a 2FA user. */
export async function passwordStep(email: string, password: string, jar = new Jar(), workerEnv?: Env) {
  const response = await post(jar, "/api/auth/sign-in/email", { email, password }, workerEnv);
  return { response, jar };
}

