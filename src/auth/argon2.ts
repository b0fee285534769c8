// argon2id from @phi-ag/argon2's WASM build (the reference C implementation
// with SIMD). workerd refuses to compile WASM from bytes at run time, so the
// module is imported as a module; wrangler and the vitest plugin both bundle
// a `.wasm` import as a compiled WebAssembly.Module.
//
// The package's own wrapper passes `password.length` (UTF-16 code units) as
// the byte length, which silently truncates non-ASCII passwords ("ééxx"
// verifies against "éééé"). This file drives the module's exports directly
// with the UTF-8 byte length instead.
import argon2Module from "@phi-ag/argon2/argon2.wasm";

interface Argon2Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  malloc(size: number): number;
  free(ptr: number): void;
  argon2_hash(
    t: number,
    m: number,
    p: number,
    pwd: number,
    pwdLen: number,
    salt: number,
    saltLen: number,
    hash: number,
    hashLen: number,
    encoded: number,
    encodedLen: number,
    type: number,
    version: number,
  ): number;
  argon2_error_message(code: number): number;
}

const ARGON2ID = 2;
const VERSION_13 = 0x13;

export interface Argon2Params {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

// A compiled module's instance is pure computation (no I/O), so one per
// isolate serves every request; instantiating it costs more than a hash.
let instance: Argon2Exports | undefined;

function exports(): Argon2Exports {
  if (!instance) {
    const created = new WebAssembly.Instance(argon2Module, {}).exports as unknown as Argon2Exports;
    created._initialize();
    instance = created;
  }
  return instance;
}

function readCString(wasm: Argon2Exports, ptr: number): string {
  const heap = new Uint8Array(wasm.memory.buffer);
  let end = ptr;
  while (heap[end]) end++;
  return new TextDecoder().decode(heap.subarray(ptr, end));
}

/** The raw argon2id output for `password` (UTF-8) and `salt`. */
export function argon2idRaw(password: Uint8Array, salt: Uint8Array, params: Argon2Params, hashLength: number): Uint8Array {
  const wasm = exports();
  const pwd = wasm.malloc(Math.max(1, password.length));
  const saltPtr = wasm.malloc(salt.length);
  const out = wasm.malloc(hashLength);
  try {
    new Uint8Array(wasm.memory.buffer).set(password, pwd);
    new Uint8Array(wasm.memory.buffer).set(salt, saltPtr);
    const code = wasm.argon2_hash(
      params.iterations,
      params.memoryKib,
      params.parallelism,
      pwd,
      password.length,
      saltPtr,
      salt.length,
      out,
      hashLength,
      0,
      0,
      ARGON2ID,
      VERSION_13,
    );
    if (code !== 0) throw new Error(`argon2id failed: ${readCString(wasm, wasm.argon2_error_message(code))}`);
    return new Uint8Array(wasm.memory.buffer).slice(out, out + hashLength);
  } finally {
    // The heap outlives the request: leave no password bytes in it.
    new Uint8Array(wasm.memory.buffer).fill(0, pwd, pwd + password.length);
    wasm.free(pwd);
    wasm.free(saltPtr);
    wasm.free(out);
  }
}
