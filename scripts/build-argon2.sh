#!/bin/sh
# Rebuilds src/auth/argon2/argon2id.wasm from src/auth/argon2/argon2id.c.
#
# The .wasm is committed: CI and `npm install` never need a C compiler.
# Rebuild it after changing the C, with the compiler it was built with:
#
#   Debian bookworm's clang 14 ("Debian clang version 14.0.6"):
#   apt-get install -y clang lld
#
# With that compiler the output is byte for byte the committed file
# (`scripts/build-argon2.sh --check` rebuilds into a temporary file and
# compares). Another clang version builds a working module that may differ
# in bytes and in speed; measure it against the committed one before
# committing it (see the header of argon2id.c for what was measured).
#
# Flags: wasm32 with SIMD128 and bulk memory (memory.fill / memory.copy for
# __builtin_memset / __builtin_memcpy), freestanding (no libc, no start
# function), the 64 KiB stack first in memory so that it cannot overflow
# into the module's static data, exports named in the source.
set -eu

cd "$(dirname "$0")/../src/auth/argon2"

expected="Debian clang version 14.0.6"
version=$(clang --version | head -n 1)
case "$version" in
  *"$expected"*) ;;
  *) echo "build-argon2: expected $expected, found: $version (the output may differ from the committed file)" >&2 ;;
esac

out=argon2id.wasm
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp)
  trap 'rm -f "$out"' EXIT
fi

clang --target=wasm32 -msimd128 -mbulk-memory -O3 -ffreestanding -nostdlib \
  -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=65536 \
  -o "$out" argon2id.c

if [ "${1:-}" = "--check" ]; then
  if cmp -s "$out" argon2id.wasm; then
    echo "build-argon2: argon2id.wasm matches a rebuild"
  else
    echo "build-argon2: argon2id.wasm differs from a rebuild of argon2id.c" >&2
    exit 1
  fi
else
  echo "build-argon2: wrote src/auth/argon2/$out ($(wc -c < "$out") bytes)"
fi
