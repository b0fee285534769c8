// The JS side of argon2id.wasm (our argon2id in C, src/auth/argon2/argon2id.c):
// lays the inputs and the block memory out in the instance's memory, grows
// it when a hash needs more, and wipes what the hash leaves behind. Separate
// from the `.wasm` import that workerd needs (test/argon2.test.ts; and
// src/auth/argon2.ts, should the Worker hash with it) so that Node scripts can
// drive a module compiled from bytes (benchmarks, vector generation).

export interface Argon2Params {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

export interface Argon2Extra {
  /** K in RFC 9106 (a pepper); none by default. */
  secret?: Uint8Array;
  /** X in RFC 9106; none by default. */
  associatedData?: Uint8Array;
}

interface Exports {
  memory: WebAssembly.Memory;
  argon2id_heap_base(): number;
  argon2id_hash(
    t: number,
    m: number,
    p: number,
    pwd: number,
    pwdLen: number,
    salt: number,
    saltLen: number,
    secret: number,
    secretLen: number,
    ad: number,
    adLen: number,
    out: number,
    outLen: number,
    mem: number,
  ): number;
}

const ERRORS: Record<number, string> = {
  1: "parameters out of range",
  2: "salt shorter than 8 bytes",
  3: "buffer outside the module's memory",
};

const PAGE = 65536;
const BLOCK = 1024;

const u32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;

export type Argon2idRaw = (password: Uint8Array, salt: Uint8Array, params: Argon2Params, hashLength: number, extra?: Argon2Extra) => Uint8Array;

/** argon2idRaw over one instance of `module`, created on first use. */
export function argon2idDriver(module: WebAssembly.Module): Argon2idRaw {
  let wasm: Exports | undefined;

  return function argon2idRaw(password, salt, params, hashLength, extra = {}) {
    const { memoryKib: m, iterations: t, parallelism: p } = params;
    const secret = extra.secret ?? new Uint8Array(0);
    const ad = extra.associatedData ?? new Uint8Array(0);
    // The module checks all of this again; here it gives a clear message.
    if (!u32(t) || t < 1) throw new RangeError("argon2id: iterations must be at least 1");
    if (!u32(p) || p < 1 || p > 0xffffff) throw new RangeError("argon2id: parallelism must be 1..16777215");
    if (!u32(m) || m < 8 * p) throw new RangeError("argon2id: memory must be at least 8 KiB per lane");
    if (!Number.isInteger(hashLength) || hashLength < 4 || hashLength > 1024) throw new RangeError("argon2id: hash length must be 4..1024 bytes");
    if (salt.length < 8) throw new RangeError("argon2id: salt must be at least 8 bytes");

    wasm ??= new WebAssembly.Instance(module, {}).exports as unknown as Exports;
    const blocks = 4 * p * Math.floor(m / (4 * p));
    // [blocks][password][salt][secret][ad][out], the blocks 1 KiB aligned.
    const mem = Math.ceil(wasm.argon2id_heap_base() / BLOCK) * BLOCK;
    const pwd = mem + blocks * BLOCK;
    const saltPtr = pwd + password.length;
    const secretPtr = saltPtr + salt.length;
    const adPtr = secretPtr + secret.length;
    const out = adPtr + ad.length;
    const end = out + hashLength;
    if (end > 0xffffffff) throw new RangeError("argon2id: memory too large for wasm32");
    const have = wasm.memory.buffer.byteLength;
    if (end > have) wasm.memory.grow(Math.ceil((end - have) / PAGE));

    const instance = wasm;
    let heap = new Uint8Array(instance.memory.buffer);
    let done = false;
    try {
      heap.set(password, pwd);
      heap.set(salt, saltPtr);
      heap.set(secret, secretPtr);
      heap.set(ad, adPtr);
      const code = instance.argon2id_hash(t, m, p, pwd, password.length, saltPtr, salt.length, secretPtr, secret.length, adPtr, ad.length, out, hashLength, mem);
      if (code !== 0) throw new Error(`argon2id failed: ${ERRORS[code] ?? `code ${code}`}`);
      done = true;
      return heap.slice(out, end);
    } finally {
      heap = new Uint8Array(instance.memory.buffer);
      // The heap outlives the request. The module wipes the blocks and its
      // own state when it finishes; if it did not (a trap), wipe the blocks
      // here and drop the instance, whose static state may hold secrets.
      heap.fill(0, done ? pwd : mem, end);
      if (!done) wasm = undefined;
    }
  };
}
