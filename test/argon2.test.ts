// Our argon2id (src/auth/argon2/argon2id.c, built to argon2id.wasm), run
// through the bundled module and its driver in workerd, as the Worker hashes
// passwords (src/auth/argon2.ts): RFC 9106's vector, vectors
// computed by the reference implementation (phc-winner-argon2, as built by
// @phi-ag/argon2) across lanes, passes, memory sizes, tag lengths and
// passwords, refusals of bad parameters, and what the module leaves in its
// memory after a hash.
import { describe, expect, it } from "vitest";
import argon2Module from "../src/auth/argon2/argon2id.wasm";
import { argon2idDriver } from "../src/auth/argon2/driver";

const argon2idRaw = argon2idDriver(argon2Module);

interface RawExports {
  memory: WebAssembly.Memory;
  argon2id_heap_base(): number;
  argon2id_hash(...args: number[]): number;
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const utf8 = (text: string) => new TextEncoder().encode(text);

// [password, salt (both UTF-8), m KiB, t, p, tag length, tag], from the
// reference implementation (generated once; constants here).
const REFERENCE_VECTORS: [string, string, number, number, number, number, string][] = [
  ["", "saltsalt", 8, 1, 1, 32,
   "3701b5ccd9211d3d025397f7a17fc780a7a25138d0125853fafc74d4d0c6063a"],
  ["password", "somesalt", 32, 1, 1, 32,
   "301a8fbb4c595c521e6752c989a952d47e1ecd063d89eebcf6887288675b54c8"],
  ["pässwörd ünïcode ☃ 🔑", "0123456789abcdef", 64, 2, 1, 32,
   "3f10111c489672f81572ed088f649422087d1ab93fa8bf34e40924876e1af943"],
  ["correct horse battery staple", "edge-auth-salt16", 100, 3, 2, 16,
   "447ccb8e49f93c399692381ed5312080"],
  ["lanes", "saltysaltysalty!", 96, 2, 3, 64,
   "0f1eaccc060706faa13daa381452fee7a5b7efe361bdbfa2e892747cef7417dafddc687825286f0c491b7e7a43d35bbca021f2354e37f5d0b2dcb068bddd29b6"],
  ["four lanes", "a salt of 8+ bytes", 256, 1, 4, 65,
   "f97bf44ad6e3ddfc535ec55c7651d6d1da87c8afc9e98fa4d41414195cf6195687a44fb8f7a005462b57f36ecd9079279ef573bf664f31058b5a775dc16dc1c9a5"],
  ["four lanes, three passes", "another salt", 131, 3, 4, 100,
   "b6dc977ffd87c7f36238bffffaa05d68093cd6ad6ab7d397d5f761b1f10b374d1389a1e93f8f140144f864a3f64ba2db22e5d16d522cd794d8ad6d535cddf370b22d7283d1354d86e57f900359965e91939f6916f07c405fc8614c8cb92dddc467753baf"],
  ["short tag", "saltsalt", 64, 2, 2, 4,
   "20719387"],
  ["long tag", "saltsalt", 64, 1, 1, 1024,
   "2f74c54805a1d690e7f5e59205c67643c134155d9ed509feca9c11587c7a7356a520c7c69d7f4d9c5951b7b5cfc149def3b535e7b97b6898874b5249f5307b961cc10cd8122249cbb2561c7a48b75ab930b1dc74728debc6ebd3dfcec24ab8e1e27f0abbb337849145b8b71cdba1fd5a78f0d2d0a70a4ddf8ae282f8bd669083bb22f821177ace00fd1282fa550b201c003434c651220673bbcb2a4211704eeb06685db6ae4fea01866671c540f2f4da337305103364830cd6ada3522f43366e7a4d0cec0b7288504575ceffbfe10f21eab3b849a9e519da25d881bdedd63e228aab7527f634e1fe629661f39c1b8fe42df43722b026635a40b239bc370dd402968f7755e2b901b42067a3b819ede20127f1366023da2faad2eee294900dd08b0f2592fd94fc34c2045de1f416892062821bfafb4dd05395ac9df84ca7472b0f79a9362aa4bc9abecd97511249f8a408ee6cae050c2e89c0c890f1a8e40af996dcadcb0330837e0217e71fd5150da08f6433cea359a0815ea3248790135fc96e8e32f6f1d0aafc08b63f9c42aefa9c1277393a5d0d664af64d3be13b377d4b0df45ec303ba637649bc05f30711709169b4c326e6454c28cd7053faa330edd154a241914847a2821b5897fdcbc829d316df9375d59687b52c77615bdf343ae03c4f457bf909fd6b4043616fdf89b35b5d60f711cb7626a3eddd2126ca679593891aef60196fbec1aacdaa3f45cdef5c3b083b53a3eba0dc43ab59304dbe338209d50313adf8e4afb6583257075e64623de76ae4f01da2c26b7ca7f4802e99b20051fb750cb8bc775e6c098631c6bfe4482bf065db332b1f935788b64205f54607d68b93d4cd814e61792ef769da20091bc0f5f43b8486928be4dfe2e85e972d0fe98089f76fee84fe0962ed53574b4f6343696f7af3dddb7773a147be36ad64e7b51224b2d966f53b69838cdc6aa658534a01a260aff494a6d85636e59d6ad41fc696e263702bf7273dcd74bae821e790c52ed456e6d88ad6d7a08ca34f6a0ef3034c0f6faf054fbd43186d152befaa631ac0a643ee79f3d43b90670695d19f3f910ed059b5d48bb9a598a404d43495f1fa308d1e08112dc2be7c0fd4bc508f726f954f4e12decce67d90563dcd68143c67f16bceffde233f487cfd98c4ebe5142d54bd1c94b35e3f5696aaa1bec607360862f7f06506a76d327090828f48a88d13efb336e832522f5c60627bf960ebc79853f0fdf16c36caaf1f7e7932f01139c837c9a5b1849d18f3b79757893c1c7c10f196a4f449a34e0b0b5e6b3242faf1482cccf025780a8ffa47bcae94422d75f01a5f8b81b9afe84fd4a8bb46527893dbc1c1dd071c4676c813afe49f76e05fe2018ca6ee1372bfda27e361be61b6ee098dad3f9dd97b9a1f1f4b8f4e7aef9b563fabad900fa7808a28720e57e0a295"],
  ["x".repeat(128), "s".repeat(64), 512, 2, 1, 32,
   "7b69becd9b7eb628ba6cae9773922548402153b404c657f1fc22a8ae61eb1dd0"],
  ["correct horse battery staple", "0123456789abcdef", 19456, 2, 1, 32,
   "832e52b959b967b570ee4781f6c7bda7ced019ca266ac781fd2d94d4e853b0cd"],
  ["pässwörd-ünïcode-ééé", "ZWRnZS1hdXRoLXNh", 19456, 2, 4, 32,
   "4e7e564788888f3d08f0089fbac529fe53e78d4a571217079bada49973c0fd41"],
];

describe("argon2id (our wasm module)", () => {
  it("computes RFC 9106 §5.3's argon2id test vector (secret and associated data, 4 lanes)", () => {
    const tag = argon2idRaw(new Uint8Array(32).fill(1), new Uint8Array(16).fill(2), { memoryKib: 32, iterations: 3, parallelism: 4 }, 32, {
      secret: new Uint8Array(8).fill(3),
      associatedData: new Uint8Array(12).fill(4),
    });
    expect(hex(tag)).toBe("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
  });

  it.each(REFERENCE_VECTORS)("matches the reference implementation: %j, salt %j, m=%i t=%i p=%i, %i bytes", (password, salt, m, t, p, length, tag) => {
    expect(hex(argon2idRaw(utf8(password), utf8(salt), { memoryKib: m, iterations: t, parallelism: p }, length))).toBe(tag);
  });

  it("gives the same tag again after a larger hash on the same instance", () => {
    const [password, salt, m, t, p, length, tag] = REFERENCE_VECTORS[2]!;
    argon2idRaw(utf8("something else"), utf8("a different salt"), { memoryKib: 19456 + 17, iterations: 1, parallelism: 3 }, 32);
    expect(hex(argon2idRaw(utf8(password), utf8(salt), { memoryKib: m, iterations: t, parallelism: p }, length))).toBe(tag);
  });

  it("refuses parameters out of range", () => {
    const salt = utf8("saltsalt");
    const ok = { memoryKib: 64, iterations: 1, parallelism: 1 };
    for (const params of [
      { ...ok, iterations: 0 },
      { ...ok, iterations: -1 },
      { ...ok, parallelism: 0 },
      { ...ok, parallelism: 9 }, // m < 8p
      { ...ok, memoryKib: 7 },
      { ...ok, memoryKib: 1.5 },
      { ...ok, memoryKib: 2 ** 32 },
    ]) {
      expect(() => argon2idRaw(utf8("pw"), salt, params, 32)).toThrow(RangeError);
    }
    for (const length of [0, 3, 1025, 2.5]) expect(() => argon2idRaw(utf8("pw"), salt, ok, length)).toThrow(RangeError);
    expect(() => argon2idRaw(utf8("pw"), utf8("7 bytes"), ok, 32)).toThrow(RangeError);
    expect(argon2idRaw(utf8("pw"), salt, ok, 4)).toHaveLength(4);
  });

  it("the module itself refuses bad parameters and buffers outside its usable memory, and writes nothing then", () => {
    const wasm = new WebAssembly.Instance(argon2Module, {}).exports as unknown as RawExports;
    wasm.memory.grow(2);
    const before = new Uint8Array(wasm.memory.buffer).slice();
    const heapBase = wasm.argon2id_heap_base();
    const mem = Math.ceil(heapBase / 1024) * 1024;
    const inputs = mem + 64 * 1024;
    const size = wasm.memory.buffer.byteLength;
    type Arg = "t" | "m" | "p" | "pwd" | "pwdLen" | "salt" | "saltLen" | "out" | "outLen" | "mem";
    const call = (over: Partial<Record<Arg, number>>) => {
      const a = { t: 1, m: 64, p: 1, pwd: inputs, pwdLen: 8, salt: inputs + 8, saltLen: 8, out: inputs + 16, outLen: 32, mem, ...over };
      return wasm.argon2id_hash(a.t, a.m, a.p, a.pwd, a.pwdLen, a.salt, a.saltLen, 0, 0, 0, 0, a.out, a.outLen, a.mem);
    };
    expect(call({ t: 0 })).toBe(1);
    expect(call({ p: 0 })).toBe(1);
    expect(call({ m: 15, p: 2 })).toBe(1);
    expect(call({ outLen: 3 })).toBe(1);
    expect(call({ outLen: 1025 })).toBe(1);
    expect(call({ saltLen: 7 })).toBe(2);
    expect(call({ mem: size - 63 * 1024 })).toBe(3); // blocks past the end
    expect(call({ m: 2 ** 32 - 1 })).toBe(3); // far past the end
    expect(call({ mem: 0 })).toBe(3); // over the module's stack and data
    expect(call({ mem: heapBase - 1024 })).toBe(3);
    expect(call({ out: 16 })).toBe(3);
    expect(call({ out: size - 31 })).toBe(3);
    expect(call({ pwd: size - 4 })).toBe(3);
    expect(call({ pwd: 0xffffffff, pwdLen: 2 })).toBe(3);
    expect(new Uint8Array(wasm.memory.buffer)).toEqual(before);
  });

  it("leaves no trace of a hash in the module's memory: blocks zeroed, static state as it was", () => {
    const wasm = new WebAssembly.Instance(argon2Module, {}).exports as unknown as RawExports;
    const heapBase = wasm.argon2id_heap_base();
    const mem = Math.ceil(heapBase / 1024) * 1024;
    const blocks = 96; // m = 100, p = 3: 4 * 3 * floor(100 / 12)
    const inputs = mem + blocks * 1024;
    wasm.memory.grow(Math.ceil((inputs + 1024 - wasm.memory.buffer.byteLength) / 65536));
    const pristine = new Uint8Array(wasm.memory.buffer).slice(0, heapBase);
    new Uint8Array(wasm.memory.buffer).set(utf8("a password, a salt, a secret, data"), inputs);
    expect(wasm.argon2id_hash(2, 100, 3, inputs, 10, inputs + 10, 10, inputs + 20, 8, inputs + 28, 6, inputs + 64, 32, mem)).toBe(0);
    const heap = new Uint8Array(wasm.memory.buffer);
    expect(heap.subarray(0, heapBase)).toEqual(pristine);
    expect(heap.subarray(mem, inputs).every((b) => b === 0)).toBe(true);
    expect(heap.subarray(inputs + 64, inputs + 96).some((b) => b !== 0)).toBe(true);
  });
});
