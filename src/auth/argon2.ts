// argon2id from our own C implementation (src/auth/argon2/argon2id.c, RFC
// 9106 and RFC 7693, wasm32 + SIMD128; rebuilt by scripts/build-argon2.sh).
// workerd refuses to compile WASM from bytes at run time, so the module is
// imported as a module; wrangler and the vitest plugin both bundle a `.wasm`
// import as a compiled WebAssembly.Module. src/auth/argon2/driver.ts lays out
// the memory, and instantiates the module once per isolate, on first use.
import argon2Module from "./argon2/argon2id.wasm";
import { argon2idDriver, type Argon2Extra, type Argon2Params } from "./argon2/driver";

export type { Argon2Extra, Argon2Params };

/**
 * The raw argon2id (v=19) output for `password` (UTF-8 bytes) and `salt`;
 * `extra` adds RFC 9106's secret (K) and associated data (X).
 */
export const argon2idRaw: (password: Uint8Array, salt: Uint8Array, params: Argon2Params, hashLength: number, extra?: Argon2Extra) => Uint8Array =
  argon2idDriver(argon2Module);
