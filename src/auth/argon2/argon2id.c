// argon2id (version 0x13) for wasm32 with SIMD128, written for edge-auth
// from RFC 9106 (Argon2) and RFC 7693 (BLAKE2b). Freestanding: no libc, no
// allocator. The caller (src/auth/argon2/driver.ts) places the inputs and the block
// memory in this module's linear memory above __heap_base and calls
// argon2id_hash(); every range is checked against the memory's current size
// before anything is written. Built by scripts/build-argon2.sh.
//
// Secrets: everything derived from the password lives in static buffers
// (wiped before returning) or in wasm locals, never on the shadow stack
// (the module uses none); the block memory is wiped too.
//
// Speed (m=19456 KiB, t=2, p=1, interleaved in one process with the reference
// C implementation as built by emscripten for @phi-ag/argon2, on an AMD EPYC
// Zen 4 VM): 0.78-0.84 of its time per hash in Node 22 on a quiet machine,
// 0.72-0.80 with the other CPU busy, 0.70-0.76 in workerd. Without cache
// misses (m=512, t=76) about 0.75. At 19 MiB both spend some 7 ms per hash
// waiting for reference blocks, which no wasm instruction can prefetch. See
// "The compression function" below for what mattered.

#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name), visibility("default")))
#define INLINE static inline __attribute__((always_inline))
#define NOINLINE static __attribute__((noinline))

extern unsigned char __heap_base;

enum {
  OK = 0,
  ERR_PARAMS = 1, // t, m, p or the output length out of range
  ERR_SALT = 2,   // salt shorter than 8 bytes
  ERR_RANGE = 3,  // a buffer outside the usable linear memory
};

// ---------------------------------------------------------------------------
// BLAKE2b (RFC 7693), unkeyed, digest length 1..64.

typedef struct {
  uint64_t h[8];
  uint64_t t; // bytes hashed so far (the high word of the counter stays 0)
  uint32_t buflen;
  uint32_t outlen;
  uint8_t buf[128];
} blake2b_state;

static const uint64_t B2B_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const uint8_t B2B_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

INLINE uint64_t load64(const uint8_t *p) {
  uint64_t v;
  __builtin_memcpy(&v, p, 8); // wasm is little-endian
  return v;
}

INLINE void store32(uint8_t *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }

INLINE uint64_t rotr64(uint64_t x, unsigned n) { return (x >> n) | (x << (64 - n)); }

#define B2B_G(a, b, c, d, x, y)  \
  do {                           \
    v[a] = v[a] + v[b] + (x);    \
    v[d] = rotr64(v[d] ^ v[a], 32); \
    v[c] = v[c] + v[d];          \
    v[b] = rotr64(v[b] ^ v[c], 24); \
    v[a] = v[a] + v[b] + (y);    \
    v[d] = rotr64(v[d] ^ v[a], 16); \
    v[c] = v[c] + v[d];          \
    v[b] = rotr64(v[b] ^ v[c], 63); \
  } while (0)

static void blake2b_compress(blake2b_state *s, const uint8_t *block, int last) {
  uint64_t v[16], m[16];
  for (int i = 0; i < 16; i++) m[i] = load64(block + 8 * i);
  for (int i = 0; i < 8; i++) {
    v[i] = s->h[i];
    v[i + 8] = B2B_IV[i];
  }
  v[12] ^= s->t;
  if (last) v[14] = ~v[14];
#pragma clang loop unroll(full)
  for (int r = 0; r < 12; r++) {
    const uint8_t *sg = B2B_SIGMA[r];
    B2B_G(0, 4, 8, 12, m[sg[0]], m[sg[1]]);
    B2B_G(1, 5, 9, 13, m[sg[2]], m[sg[3]]);
    B2B_G(2, 6, 10, 14, m[sg[4]], m[sg[5]]);
    B2B_G(3, 7, 11, 15, m[sg[6]], m[sg[7]]);
    B2B_G(0, 5, 10, 15, m[sg[8]], m[sg[9]]);
    B2B_G(1, 6, 11, 12, m[sg[10]], m[sg[11]]);
    B2B_G(2, 7, 8, 13, m[sg[12]], m[sg[13]]);
    B2B_G(3, 4, 9, 14, m[sg[14]], m[sg[15]]);
  }
  for (int i = 0; i < 8; i++) s->h[i] ^= v[i] ^ v[i + 8];
}

static void blake2b_init(blake2b_state *s, uint32_t outlen) {
  for (int i = 0; i < 8; i++) s->h[i] = B2B_IV[i];
  s->h[0] ^= 0x01010000ULL ^ outlen; // depth 1, fanout 1, no key
  s->t = 0;
  s->buflen = 0;
  s->outlen = outlen;
}

static void blake2b_update(blake2b_state *s, const uint8_t *in, uint32_t len) {
  while (len > 0) {
    if (s->buflen == 128) { // more input follows, so this block is not the last
      s->t += 128;
      blake2b_compress(s, s->buf, 0);
      s->buflen = 0;
    }
    uint32_t n = 128 - s->buflen;
    if (n > len) n = len;
    __builtin_memcpy(s->buf + s->buflen, in, n);
    s->buflen += n;
    in += n;
    len -= n;
  }
}

static void blake2b_final(blake2b_state *s, uint8_t *out) {
  s->t += s->buflen;
  __builtin_memset(s->buf + s->buflen, 0, 128 - s->buflen);
  blake2b_compress(s, s->buf, 1);
  __builtin_memcpy(out, s->h, s->outlen);
}

static uint8_t le32_buf[4]; // static: nothing of a hash stays on the stack

static void blake2b_update32(blake2b_state *s, uint32_t v) {
  store32(le32_buf, v);
  blake2b_update(s, le32_buf, 4);
}

// ---------------------------------------------------------------------------
// Argon2id (RFC 9106).

#define BLOCK_BYTES 1024
#define SYNC_POINTS 4

typedef struct {
  v128_t v[64];
} block;

static blake2b_state b2b;      // every BLAKE2b computation
static uint8_t h0[72];         // H0 || LE32(column) || LE32(lane)
static uint8_t hp_v[64];       // H' chaining value
static block tmp;              // R (xor the old block) during compression
static block addr_input;       // Z for data-independent addressing
static block addr_block;       // the current 128 pseudo-random words
static block final_block;      // C, the xor of the lanes' last blocks
static const block zero_block; // G(0, .) for the address blocks

// H' (RFC 9106 §3.3): variable-length hash of LE32(outlen) || in.
static void hprime(uint8_t *out, uint32_t outlen, const uint8_t *in, uint32_t inlen) {
  if (outlen <= 64) {
    blake2b_init(&b2b, outlen);
    blake2b_update32(&b2b, outlen);
    blake2b_update(&b2b, in, inlen);
    blake2b_final(&b2b, out);
    return;
  }
  blake2b_init(&b2b, 64);
  blake2b_update32(&b2b, outlen);
  blake2b_update(&b2b, in, inlen);
  blake2b_final(&b2b, hp_v);
  __builtin_memcpy(out, hp_v, 32);
  out += 32;
  uint32_t remaining = outlen - 32;
  while (remaining > 64) {
    blake2b_init(&b2b, 64);
    blake2b_update(&b2b, hp_v, 64);
    blake2b_final(&b2b, hp_v);
    __builtin_memcpy(out, hp_v, 32);
    out += 32;
    remaining -= 32;
  }
  blake2b_init(&b2b, remaining);
  blake2b_update(&b2b, hp_v, 64);
  blake2b_final(&b2b, out);
}

// ---- The compression function G (RFC 9106 §3.5, §3.6) ------------------
//
// A block is 64 v128 registers Q0..Q63, row r = Q8r..Q8r+7, column c =
// Qc, Qc+8, ..., Qc+56. P works on 8 registers S0..S7 holding the words
// (v0 v1) (v2 v3) ... (v14 v15): A0 A1 = S0 S1, B0 B1 = S2 S3, C0 C1 = S4 S5,
// D0 D1 = S6 S7. Its column step is GB on (A0 B0 C0 D0) and (A1 B1 C1 D1), two
// words per register; the diagonal step first rotates B, C and D by one, two
// and three words.
//
// Performance in V8 (what workerd runs), measured rather than guessed:
// - GB is one long dependency chain, so the code runs two P's (two rows, then
//   two columns) interleaved step by step: four independent chains.
// - clang's wasm backend sinks every single-use value down to its use, which
//   would put the two P's back one after the other; PIN (an empty volatile
//   asm statement that "changes" its operands) keeps the interleaving.
// - 2 * lo32(x) * lo32(y): one i32x4 shuffle gathers the low halves of two
//   registers, then extmul_low / extmul_high (V8: unpack + pmuludq each).
// - Rotations: 32 is an i32x4 shuffle (pshufd); 24 and 16 are swizzles by a
//   constant in-range mask, which V8 emits as one pshufb, the mask kept in a
//   register (as an i8x16.shuffle, 24 costs a pshufb plus four instructions
//   rebuilding the mask every time, 16 a pshuflw + pshufhw); 63 is a shift,
//   an add and a xor.
// - Straight-line code: every load and store has a constant offset (in a
//   loop, clang computes each address with an add that V8 keeps).
// - What stays is about 5,000 x64 instructions per block and, at 19 MiB, a
//   cache miss or two per reference block, which the early touch in
//   compress() shortens a little.

#define PIN1(x) __asm__ volatile("" : "+r"(x))
#define PIN4(a, b, c, d) \
  do {                   \
    PIN1(a);             \
    PIN1(b);             \
    PIN1(c);             \
    PIN1(d);             \
  } while (0)

#define ROTR32(x) wasm_i32x4_shuffle(x, x, 1, 0, 3, 2)
#define ROTR24(x) wasm_i8x16_swizzle(x, wasm_i8x16_const(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10))
#define ROTR16(x) wasm_i8x16_swizzle(x, wasm_i8x16_const(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9))
#define ROTR63(x) wasm_v128_xor(wasm_u64x2_shr(x, 63), wasm_i64x2_add(x, x))

// a0 += b0 + 2 * lo32(a0) * lo32(b0), and the same for a1, b1.
#define BLAMKA2(a0, b0, a1, b1)                                             \
  do {                                                                      \
    v128_t x_ = wasm_i32x4_shuffle(a0, a1, 0, 2, 4, 6);                     \
    v128_t y_ = wasm_i32x4_shuffle(b0, b1, 0, 2, 4, 6);                     \
    v128_t p0_ = wasm_u64x2_extmul_low_u32x4(x_, y_);                       \
    v128_t p1_ = wasm_u64x2_extmul_high_u32x4(x_, y_);                      \
    a0 = wasm_i64x2_add(wasm_i64x2_add(a0, b0), wasm_i64x2_add(p0_, p0_));  \
    a1 = wasm_i64x2_add(wasm_i64x2_add(a1, b1), wasm_i64x2_add(p1_, p1_));  \
  } while (0)

#define XR(rot, x, y) x = rot(wasm_v128_xor(x, y))

// GB on four independent (a, b, c, d) quadruples, step by step.
#define GB4(a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2, a3, b3, c3, d3)                      \
  do {                                                                                          \
    BLAMKA2(a0, b0, a1, b1);                                                                    \
    BLAMKA2(a2, b2, a3, b3);                                                                    \
    PIN4(a0, a1, a2, a3);                                                                       \
    XR(ROTR32, d0, a0); XR(ROTR32, d1, a1); XR(ROTR32, d2, a2); XR(ROTR32, d3, a3);             \
    PIN4(d0, d1, d2, d3);                                                                       \
    BLAMKA2(c0, d0, c1, d1);                                                                    \
    BLAMKA2(c2, d2, c3, d3);                                                                    \
    PIN4(c0, c1, c2, c3);                                                                       \
    XR(ROTR24, b0, c0); XR(ROTR24, b1, c1); XR(ROTR24, b2, c2); XR(ROTR24, b3, c3);             \
    PIN4(b0, b1, b2, b3);                                                                       \
    BLAMKA2(a0, b0, a1, b1);                                                                    \
    BLAMKA2(a2, b2, a3, b3);                                                                    \
    PIN4(a0, a1, a2, a3);                                                                       \
    XR(ROTR16, d0, a0); XR(ROTR16, d1, a1); XR(ROTR16, d2, a2); XR(ROTR16, d3, a3);             \
    PIN4(d0, d1, d2, d3);                                                                       \
    BLAMKA2(c0, d0, c1, d1);                                                                    \
    BLAMKA2(c2, d2, c3, d3);                                                                    \
    PIN4(c0, c1, c2, c3);                                                                       \
    XR(ROTR63, b0, c0); XR(ROTR63, b1, c1); XR(ROTR63, b2, c2); XR(ROTR63, b3, c3);             \
    PIN4(b0, b1, b2, b3);                                                                       \
  } while (0)

// (v4 v5)(v6 v7) -> (v5 v6)(v7 v4); (v8 v9)(v10 v11) swapped;
// (v12 v13)(v14 v15) -> (v15 v12)(v13 v14).
#define DIAG(B0, B1, C0, C1, D0, D1)               \
  do {                                             \
    v128_t t0_ = wasm_i64x2_shuffle(B0, B1, 1, 2); \
    v128_t t1_ = wasm_i64x2_shuffle(B1, B0, 1, 2); \
    B0 = t0_;                                      \
    B1 = t1_;                                      \
    t0_ = C0;                                      \
    C0 = C1;                                       \
    C1 = t0_;                                      \
    t0_ = wasm_i64x2_shuffle(D1, D0, 1, 2);        \
    t1_ = wasm_i64x2_shuffle(D0, D1, 1, 2);        \
    D0 = t0_;                                      \
    D1 = t1_;                                      \
  } while (0)

#define UNDIAG(B0, B1, C0, C1, D0, D1)             \
  do {                                             \
    v128_t t0_ = wasm_i64x2_shuffle(B1, B0, 1, 2); \
    v128_t t1_ = wasm_i64x2_shuffle(B0, B1, 1, 2); \
    B0 = t0_;                                      \
    B1 = t1_;                                      \
    t0_ = C0;                                      \
    C0 = C1;                                       \
    C1 = t0_;                                      \
    t0_ = wasm_i64x2_shuffle(D0, D1, 1, 2);        \
    t1_ = wasm_i64x2_shuffle(D1, D0, 1, 2);        \
    D0 = t0_;                                      \
    D1 = t1_;                                      \
  } while (0)

// P on (A0..D1) and on (E0..H1), interleaved.
#define P2(A0, A1, B0, B1, C0, C1, D0, D1, E0, E1, F0, F1, G0, G1, H0, H1) \
  do {                                                                  \
    GB4(A0, B0, C0, D0, A1, B1, C1, D1, E0, F0, G0, H0, E1, F1, G1, H1); \
    DIAG(B0, B1, C0, C1, D0, D1);                                       \
    DIAG(F0, F1, G0, G1, H0, H1);                                       \
    GB4(A0, B0, C0, D0, A1, B1, C1, D1, E0, F0, G0, H0, E1, F1, G1, H1); \
    UNDIAG(B0, B1, C0, C1, D0, D1);                                     \
    UNDIAG(F0, F1, G0, G1, H0, H1);                                     \
  } while (0)

#define LD(p, i) wasm_v128_load((p) + (i))
#define ST(p, i, x) wasm_v128_store((p) + (i), (x))

// Eight registers p[i], p[i + s], ..., p[i + 7s].
#define LD8(p, i, s, A0, A1, B0, B1, C0, C1, D0, D1)                                              \
  v128_t A0 = LD(p, (i) + 0 * (s)), A1 = LD(p, (i) + 1 * (s)), B0 = LD(p, (i) + 2 * (s)),          \
         B1 = LD(p, (i) + 3 * (s)), C0 = LD(p, (i) + 4 * (s)), C1 = LD(p, (i) + 5 * (s)),          \
         D0 = LD(p, (i) + 6 * (s)), D1 = LD(p, (i) + 7 * (s))
#define ST8(p, i, s, A0, A1, B0, B1, C0, C1, D0, D1) \
  do {                                              \
    ST(p, (i) + 0 * (s), A0);                       \
    ST(p, (i) + 1 * (s), A1);                       \
    ST(p, (i) + 2 * (s), B0);                       \
    ST(p, (i) + 3 * (s), B1);                       \
    ST(p, (i) + 4 * (s), C0);                       \
    ST(p, (i) + 5 * (s), C1);                       \
    ST(p, (i) + 6 * (s), D0);                       \
    ST(p, (i) + 7 * (s), D1);                       \
  } while (0)
// The same, each xored with T at the same place.
#define ST8X(p, i, s, T, A0, A1, B0, B1, C0, C1, D0, D1)          \
  do {                                                           \
    ST(p, (i) + 0 * (s), wasm_v128_xor(A0, LD(T, (i) + 0 * (s)))); \
    ST(p, (i) + 1 * (s), wasm_v128_xor(A1, LD(T, (i) + 1 * (s)))); \
    ST(p, (i) + 2 * (s), wasm_v128_xor(B0, LD(T, (i) + 2 * (s)))); \
    ST(p, (i) + 3 * (s), wasm_v128_xor(B1, LD(T, (i) + 3 * (s)))); \
    ST(p, (i) + 4 * (s), wasm_v128_xor(C0, LD(T, (i) + 4 * (s)))); \
    ST(p, (i) + 5 * (s), wasm_v128_xor(C1, LD(T, (i) + 5 * (s)))); \
    ST(p, (i) + 6 * (s), wasm_v128_xor(D0, LD(T, (i) + 6 * (s)))); \
    ST(p, (i) + 7 * (s), wasm_v128_xor(D1, LD(T, (i) + 7 * (s)))); \
  } while (0)

// Rows r and r + 1: R = prev ^ ref goes to T (xored with the old block when
// with_xor) and to next, from where P(R) is computed in place. (Keeping R
// in registers instead measured slower: V8 then spills most of them.)
#define ROWS(r)                                                           \
  do {                                                                    \
    for (int k_ = 8 * (r); k_ < 8 * (r) + 16; k_++) {                     \
      v128_t x_ = wasm_v128_xor(LD(prev, k_), LD(ref, k_));              \
      ST(T, k_, with_xor ? wasm_v128_xor(x_, LD(next, k_)) : x_);        \
      ST(next, k_, x_);                                                  \
    }                                                                     \
    LD8(next, 8 * (r), 1, A0, A1, B0, B1, C0, C1, D0, D1);                \
    LD8(next, 8 * (r) + 8, 1, E0, E1, F0, F1, G0, G1, H0, H1);            \
    P2(A0, A1, B0, B1, C0, C1, D0, D1, E0, E1, F0, F1, G0, G1, H0, H1);   \
    ST8(next, 8 * (r), 1, A0, A1, B0, B1, C0, C1, D0, D1);                \
    ST8(next, 8 * (r) + 8, 1, E0, E1, F0, F1, G0, G1, H0, H1);            \
  } while (0)

// Columns c and c + 1, finished: next = P(column) ^ T.
#define COLUMNS(c)                                                                    \
  do {                                                                                \
    LD8(next, (c), 8, A0, A1, B0, B1, C0, C1, D0, D1);                                \
    LD8(next, (c) + 1, 8, E0, E1, F0, F1, G0, G1, H0, H1);                            \
    P2(A0, A1, B0, B1, C0, C1, D0, D1, E0, E1, F0, F1, G0, G1, H0, H1);               \
    ST8X(next, (c), 8, T, A0, A1, B0, B1, C0, C1, D0, D1);                            \
    ST8X(next, (c) + 1, 8, T, E0, E1, F0, F1, G0, G1, H0, H1);                        \
  } while (0)

// ---- Filling the memory (RFC 9106 §3.4) ---------------------------------

typedef struct {
  block *mem;
  uint32_t lanes;    // p
  uint32_t lane_len; // q = m' / p
  uint32_t seg_len;  // q / 4
  uint32_t blocks;   // m'
  uint32_t passes;   // t
  // The segment being filled.
  uint32_t pass, slice, lane;
  uint32_t start_pos; // first column of the reference window
  int data_independent;
} instance;

// The reference block for index i of the current segment, from the 64-bit
// pseudo-random value J1 || J2 (J1 the low half).
INLINE const block *ref_block(const instance *in, uint32_t i, uint64_t rand) {
  const uint32_t j1 = (uint32_t)rand, j2 = (uint32_t)(rand >> 32);
  const uint32_t q = in->lane_len, seg = in->seg_len;
  const uint32_t ref_lane = (in->pass == 0 && in->slice == 0) ? in->lane : in->lanes == 1 ? 0 : j2 % in->lanes;
  // The blocks this one may reference: every finished block of ref_lane in
  // the last three segments (all finished ones in the first pass), less the
  // previous block; a block starting a segment may not use the other lanes'
  // last finished block.
  uint32_t area;
  if (in->pass == 0) {
    area = ref_lane == in->lane ? in->slice * seg + i - 1 : in->slice * seg - (i == 0);
  } else {
    area = ref_lane == in->lane ? q - seg + i - 1 : q - seg - (i == 0);
  }
  const uint64_t x = ((uint64_t)j1 * j1) >> 32;
  const uint64_t y = ((uint64_t)area * x) >> 32;
  const uint32_t rel = area - 1 - (uint32_t)y;
  // start_pos < q and rel < q: one subtraction instead of a division.
  const uint32_t col = in->start_pos + rel;
  return in->mem + (uint64_t)ref_lane * q + (col >= q ? col - q : col);
}

static volatile uint32_t touch_sink;

// next = G(prev, ref), xored into the old next when with_xor (passes after
// the first). As soon as next's first word is final (after columns 0 and 1)
// the reference block of segment index i + 1 is known: one load per cache
// line starts fetching it while columns 2..7 are computed. wasm has no
// prefetch instruction; the loaded bytes go to touch_sink.
INLINE void compress(const v128_t *prev, const v128_t *ref, v128_t *next, int with_xor, const instance *in, uint32_t i) {
  v128_t *const T = tmp.v;
  ROWS(0);
  ROWS(2);
  ROWS(4);
  ROWS(6);
  COLUMNS(0);
  if (i + 1 < in->seg_len) {
    uint64_t rand = 0;
    int known = 1;
    if (in->data_independent) {
      known = (i + 1) % 128 != 0;
      rand = ((const uint64_t *)addr_block.v)[(i + 1) % 128];
    } else {
      rand = ((const uint64_t *)next)[0];
    }
    if (known) {
      const volatile uint8_t *p = (const volatile uint8_t *)ref_block(in, i + 1, rand);
      uint32_t acc = 0;
      for (int k = 0; k < BLOCK_BYTES; k += 64) acc += p[k];
      touch_sink = acc;
    }
  }
  COLUMNS(2);
  COLUMNS(4);
  COLUMNS(6);
}

// Separate functions so that V8 tiers them up within the first hash (wasm
// code is replaced between calls, not inside a running loop).
NOINLINE void compress_new(const block *prev, const block *ref, block *next, const instance *in, uint32_t i) {
  compress(prev->v, ref->v, next->v, 0, in, i);
}
NOINLINE void compress_xor(const block *prev, const block *ref, block *next, const instance *in, uint32_t i) {
  compress(prev->v, ref->v, next->v, 1, in, i);
}

// G(0, G(0, Z)) for the next 128 pseudo-random values of the segment.
static void next_addresses(const instance *in) {
  uint64_t *z = (uint64_t *)addr_input.v;
  z[6] += 1;
  compress_new(&zero_block, &addr_input, &addr_block, in, in->seg_len);
  compress_new(&zero_block, &addr_block, &addr_block, in, in->seg_len);
}

static void fill_segment(instance *in, uint32_t pass, uint32_t slice, uint32_t lane) {
  in->pass = pass;
  in->slice = slice;
  in->lane = lane;
  in->data_independent = pass == 0 && slice < SYNC_POINTS / 2;
  in->start_pos = (pass == 0 || slice == SYNC_POINTS - 1) ? 0 : (slice + 1) * in->seg_len;
  const uint32_t start = (pass == 0 && slice == 0) ? 2 : 0;
  const uint32_t q = in->lane_len, seg = in->seg_len;
  block *const base = in->mem + (uint64_t)lane * q;
  if (in->data_independent) {
    uint64_t *z = (uint64_t *)addr_input.v;
    __builtin_memset(z, 0, BLOCK_BYTES);
    z[0] = pass;
    z[1] = lane;
    z[2] = slice;
    z[3] = in->blocks;
    z[4] = in->passes;
    z[5] = 2; // argon2id
  }
  for (uint32_t i = start; i < seg; i++) {
    const uint32_t col = slice * seg + i;
    const block *prev = base + (col == 0 ? q - 1 : col - 1);
    uint64_t rand;
    if (in->data_independent) {
      if (i == start || i % 128 == 0) next_addresses(in);
      rand = ((const uint64_t *)addr_block.v)[i % 128];
    } else {
      rand = ((const uint64_t *)prev->v)[0];
    }
    const block *ref = ref_block(in, i, rand);
    if (pass == 0) {
      compress_new(prev, ref, base + col, in, i);
    } else {
      compress_xor(prev, ref, base + col, in, i);
    }
  }
}

// A range the caller may use: above this module's own data and stack, and
// inside the memory as it is now. An empty range is never read or written.
INLINE int in_memory(uint32_t ptr, uint64_t len, uint64_t mem_bytes) {
  return len == 0 || (ptr >= (uint32_t)(uintptr_t)&__heap_base && (uint64_t)ptr + len <= mem_bytes);
}

// Where the caller's buffers may start.
EXPORT("argon2id_heap_base")
uint32_t argon2id_heap_base(void) { return (uint32_t)(uintptr_t)&__heap_base; }

// Returns 0 and writes out_len bytes of tag to out, or an error code having
// written nothing. mem must hold 4 * p * floor(m / (4 * p)) blocks.
EXPORT("argon2id_hash")
int argon2id_hash(uint32_t t, uint32_t m, uint32_t p, const uint8_t *pwd, uint32_t pwd_len, const uint8_t *salt,
                  uint32_t salt_len, const uint8_t *secret, uint32_t secret_len, const uint8_t *ad, uint32_t ad_len,
                  uint8_t *out, uint32_t out_len, block *mem) {
  if (t < 1 || p < 1 || p > 0xffffff || m / 8 < p || out_len < 4 || out_len > 1024) return ERR_PARAMS;
  if (salt_len < 8) return ERR_SALT;
  const uint32_t seg = m / (SYNC_POINTS * p);
  const uint32_t q = seg * SYNC_POINTS;
  const uint64_t mem_len = (uint64_t)q * p * BLOCK_BYTES;
  const uint64_t mem_bytes = (uint64_t)__builtin_wasm_memory_size(0) * 65536;
  if (!in_memory((uint32_t)(uintptr_t)mem, mem_len, mem_bytes) || !in_memory((uint32_t)(uintptr_t)pwd, pwd_len, mem_bytes) ||
      !in_memory((uint32_t)(uintptr_t)salt, salt_len, mem_bytes) ||
      !in_memory((uint32_t)(uintptr_t)secret, secret_len, mem_bytes) ||
      !in_memory((uint32_t)(uintptr_t)ad, ad_len, mem_bytes) || !in_memory((uint32_t)(uintptr_t)out, out_len, mem_bytes))
    return ERR_RANGE;

  static instance in; // static: nothing of a hash stays on the stack
  in = (instance){mem, p, q, seg, q * p, t, 0, 0, 0, 0, 0};

  // H0 (RFC 9106 §3.2).
  blake2b_init(&b2b, 64);
  blake2b_update32(&b2b, p);
  blake2b_update32(&b2b, out_len);
  blake2b_update32(&b2b, m);
  blake2b_update32(&b2b, t);
  blake2b_update32(&b2b, 0x13);
  blake2b_update32(&b2b, 2);
  blake2b_update32(&b2b, pwd_len);
  blake2b_update(&b2b, pwd, pwd_len);
  blake2b_update32(&b2b, salt_len);
  blake2b_update(&b2b, salt, salt_len);
  blake2b_update32(&b2b, secret_len);
  blake2b_update(&b2b, secret, secret_len);
  blake2b_update32(&b2b, ad_len);
  blake2b_update(&b2b, ad, ad_len);
  blake2b_final(&b2b, h0);

  for (uint32_t l = 0; l < p; l++) {
    store32(h0 + 68, l);
    for (uint32_t c = 0; c < 2; c++) {
      store32(h0 + 64, c);
      hprime((uint8_t *)(mem + (uint64_t)l * q + c), BLOCK_BYTES, h0, 72);
    }
  }

  for (uint32_t pass = 0; pass < t; pass++)
    for (uint32_t slice = 0; slice < SYNC_POINTS; slice++)
      for (uint32_t l = 0; l < p; l++) fill_segment(&in, pass, slice, l);

  __builtin_memcpy(&final_block, mem + (q - 1), BLOCK_BYTES);
  for (uint32_t l = 1; l < p; l++) {
    const block *last = mem + (uint64_t)l * q + (q - 1);
    for (int k = 0; k < 64; k++) final_block.v[k] = wasm_v128_xor(final_block.v[k], last->v[k]);
  }
  __builtin_memset(mem, 0, mem_len);
  hprime(out, out_len, (const uint8_t *)&final_block, BLOCK_BYTES);

  __builtin_memset(&b2b, 0, sizeof b2b);
  __builtin_memset(h0, 0, sizeof h0);
  __builtin_memset(hp_v, 0, sizeof hp_v);
  __builtin_memset(&tmp, 0, sizeof tmp);
  __builtin_memset(&addr_block, 0, sizeof addr_block);
  __builtin_memset(&final_block, 0, sizeof final_block);
  __builtin_memset(le32_buf, 0, sizeof le32_buf);
  __builtin_memset(&addr_input, 0, sizeof addr_input);
  __builtin_memset(&in, 0, sizeof in);
  touch_sink = 0;
  return OK;
}
