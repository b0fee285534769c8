import { and, eq } from "drizzle-orm";
import { APIError } from "better-auth/api";
import { scrypt } from "node:crypto";
import type { Database } from "../db/client";
import { account } from "../db/schema";
import { PASSWORD_HASH_LIMITS } from "../config";
import { argon2idRaw, type Argon2Params } from "./argon2";
import { requestLocal } from "./request-scope";

const SALT_BYTES = 16;
const HASH_BYTES = 32;
// What a stored hash may ask of a verify: a row with absurd parameters (a bad
// import, a tampered database) must not take the Worker's memory or CPU. The
// memory is the most PASSWORD_HASH_MEMORY_KIB allows (64 MiB; an isolate has
// 128 MB, and the hash module keeps the largest memory it has grown to).
const MAX_STORED = { memoryKib: PASSWORD_HASH_LIMITS.memoryKib.max, iterations: 32, parallelism: 8 };

const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,88})\$([A-Za-z0-9+/]{22,88})$/;
// better-auth's default: `${salt hex}:${scrypt key hex}`.
const SCRYPT = /^[0-9a-f]{32}:[0-9a-f]{128}$/i;

export interface PasswordPolicy {
  memoryKib: number;
  iterations: number;
  maxLength: number;
}

export interface ParsedHash {
  params: Argon2Params;
  salt: Uint8Array;
  hash: Uint8Array;
}

/**
 * Stock better-auth's scrypt (N = 16384, r = 16, p = 1, 64 bytes; the salt is
 * the hex text itself), compared in constant time (better-auth compares the
 * hex strings with ===).
 */
function verifyScrypt(stored: string, password: string): Promise<boolean> {
  const [salt = "", key = ""] = stored.split(":");
  const expected = Uint8Array.from(key.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, 64, { N: 16384, r: 16, p: 1, maxmem: 128 * 16384 * 16 * 2 }, (err, derived) =>
      err ? reject(err) : resolve(equalConstantTime(new Uint8Array(derived), expected)),
    ),
  );
}

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, "");
const unb64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

/** `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, or null for anything else. */
export function parseArgon2id(encoded: string): ParsedHash | null {
  const match = PHC.exec(encoded);
  if (!match) return null;
  try {
    return {
      params: { memoryKib: Number(match[1]), iterations: Number(match[2]), parallelism: Number(match[3]) },
      salt: unb64(match[4]!),
      hash: unb64(match[5]!),
    };
  } catch {
    return null;
  }
}

function tooLong(password: string, policy: PasswordPolicy) {
  // better-auth checks sign-in, sign-up and reset bodies itself; this holds
  // for every other caller of hash/verify, before any CPU is spent.
  if (password.length > policy.maxLength) throw APIError.from("BAD_REQUEST", { code: "PASSWORD_TOO_LONG", message: "Password too long" });
}

export function hashArgon2id(password: string, policy: PasswordPolicy): string {
  tooLong(password, policy);
  const params = { memoryKib: policy.memoryKib, iterations: policy.iterations, parallelism: 1 };
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = argon2idRaw(new TextEncoder().encode(password.normalize("NFKC")), salt, params, HASH_BYTES);
  return `$argon2id$v=19$m=${params.memoryKib},t=${params.iterations},p=${params.parallelism}$${b64(salt)}$${b64(hash)}`;
}

function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return crypto.subtle.timingSafeEqual(a, b);
}

export type Verdict = { ok: false } | { ok: true; rehash: boolean };

/**
 * Checks `password` against a stored argon2id PHC string or a stock
 * better-auth scrypt hash. `rehash` says the stored hash is scrypt or weaker
 * than the policy and should be replaced now that the password is known.
 */
export async function verifyStored(stored: string, password: string, policy: PasswordPolicy): Promise<Verdict> {
  tooLong(password, policy);
  const parsed = parseArgon2id(stored);
  if (parsed) {
    const { params } = parsed;
    if (
      params.memoryKib > MAX_STORED.memoryKib ||
      params.iterations > MAX_STORED.iterations ||
      params.parallelism > MAX_STORED.parallelism ||
      params.parallelism < 1 ||
      params.memoryKib < 8 * params.parallelism
    ) {
      return { ok: false };
    }
    const candidate = argon2idRaw(new TextEncoder().encode(password.normalize("NFKC")), parsed.salt, params, parsed.hash.length);
    if (!equalConstantTime(candidate, parsed.hash)) return { ok: false };
    return { ok: true, rehash: params.memoryKib < policy.memoryKib || params.iterations < policy.iterations || parsed.hash.length < HASH_BYTES };
  }
  if (SCRYPT.test(stored)) {
    return (await verifyScrypt(stored, password)) ? { ok: true, rehash: true } : { ok: false };
  }
  return { ok: false };
}

/**
 * better-auth's `emailAndPassword.password` over argon2id. A verify that
 * succeeds against an outdated hash remembers it for the request;
 * `upgrade(userId)`, run after a successful sign-in, replaces it in the same
 * request. The update matches the old hash, so a concurrent password change wins.
 */
export function passwordHasher(db: Database, policy: PasswordPolicy) {
  const state = requestLocal((): { outdated?: { hash: string; password: string } } => ({}));
  return {
    hash: async (password: string) => hashArgon2id(password, policy),
    verify: async ({ hash, password }: { hash: string; password: string }) => {
      const verdict = await verifyStored(hash, password, policy);
      if (verdict.ok && verdict.rehash) state().outdated = { hash, password };
      return verdict.ok;
    },
    async upgrade(userId: string) {
      const { outdated } = state();
      if (!outdated) return;
      const { hash, password } = outdated;
      state().outdated = undefined;
      await db
        .update(account)
        .set({ password: hashArgon2id(password, policy) })
        .where(and(eq(account.userId, userId), eq(account.providerId, "credential"), eq(account.password, hash)));
    },
  };
}
