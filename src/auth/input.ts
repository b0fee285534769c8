import { APIError } from "better-auth/api";

/** RFC 5321: a forward-path holds at most 256 octets, so an address at most 254 characters. */
export const EMAIL_MAX_LENGTH = 254;

// C0 controls, DEL, C1 controls; the Unicode line and paragraph separators
// (line breaks to JavaScript and some mail and log readers); the
// bidirectional formatting characters (marks, embeddings, overrides,
// isolates) and the invisible ones (zero-width space, word joiner and
// invisible operators, BOM, soft hyphen, interlinear annotation) that make
// text display as something other than what it is ("ad\u200bmin"); and lone
// surrogates, which are no character at all. The zero-width joiner and
// non-joiner stay allowed: emoji sequences and several scripts need them.
const FORBIDDEN =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]|\p{Cs}/u;

/** Where each better-auth route carries a name or an email address, by path. */
const FIELDS: Record<string, { name?: string[]; email?: string[] }> = {
  "/sign-up/email": { name: ["name"], email: ["email"] },
  "/email-otp/send-verification-otp": { email: ["email"] },
  "/sign-in/email-otp": { name: ["name"], email: ["email"] },
  "/sign-in/magic-link": { name: ["name"], email: ["email"] },
  "/update-user": { name: ["name"] },
  "/change-email": { email: ["newEmail"] },
  "/admin/create-user": { name: ["name"], email: ["email"] },
  "/admin/update-user": { name: ["data", "name"], email: ["data", "email"] },
};

function at(body: unknown, path: string[]): unknown {
  let value = body;
  for (const key of path) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/**
 * Names and email addresses stored through better-auth are bounded and
 * clean: they end up in mail headers, admin screens and logs, where a line
 * break, an escape sequence or a bidi override does harm. A bad value is a
 * 400 in better-auth's error shape, naming the field; better-auth's own
 * checks (a well-formed address) still run after this.
 */
export function checkAccountText(path: string, body: unknown, nameMaxLength: number): void {
  const fields = FIELDS[path];
  if (!fields) return;
  const name = fields.name && at(body, fields.name);
  if (typeof name === "string") {
    if (name.length > nameMaxLength) refuse("INVALID_NAME", `name must be at most ${nameMaxLength} characters`);
    if (FORBIDDEN.test(name)) refuse("INVALID_NAME", "name must not contain control, invisible or bidirectional formatting characters");
  }
  const email = fields.email && at(body, fields.email);
  if (typeof email === "string") {
    const field = fields.email!.at(-1)!;
    if (email.length > EMAIL_MAX_LENGTH) refuse("INVALID_EMAIL", `${field} must be at most ${EMAIL_MAX_LENGTH} characters`);
    if (FORBIDDEN.test(email)) refuse("INVALID_EMAIL", `${field} must not contain control, invisible or bidirectional formatting characters`);
  }
}

function refuse(code: string, message: string): never {
  throw APIError.from("BAD_REQUEST", { code, message });
}
