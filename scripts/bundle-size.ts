// Builds the Worker exactly as `wrangler deploy` would (without uploading) and
// reports its size; fails above the Workers free plan's 3 MiB gzip limit.
// `npm run deploy` measures its own build with measureOutdir().
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";

const root = path.resolve(import.meta.dirname, "..");
/** The Workers free plan's limit on the compressed upload. */
export const LIMIT_BYTES = 3 * 1024 * 1024;
/** What this project aims to stay under, to leave room below the limit. */
export const TARGET_BYTES = 1024 * 1024;

export interface BundleSize {
  rawBytes: number;
  gzipBytes: number;
}

/** Sizes the Worker that `wrangler deploy --outdir <outdir>` wrote (source maps and wrangler's README excluded). */
export function measureOutdir(outdir: string): BundleSize {
  let rawBytes = 0;
  const chunks: Buffer[] = [];
  for (const file of (readdirSync(outdir, { recursive: true }) as string[]).sort()) {
    const full = path.join(outdir, file);
    if (!statSync(full).isFile() || file.endsWith(".map") || file === "README.md") continue;
    const content = readFileSync(full);
    rawBytes += content.length;
    chunks.push(content);
  }
  if (chunks.length === 0) throw new Error(`no bundled Worker found in ${outdir}`);
  return { rawBytes, gzipBytes: gzipSync(Buffer.concat(chunks), { level: 9 }).length };
}

export function measureBundle(): BundleSize {
  const outdir = mkdtempSync(path.join(tmpdir(), "edge-auth-bundle-"));
  try {
    execFileSync(process.execPath, [path.join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
    return measureOutdir(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** One line for people: raw and gzip size against the target and the limit. */
export function describeBundle({ rawBytes, gzipBytes }: BundleSize): string {
  return `${kib(rawBytes)} raw, ${kib(gzipBytes)} gzip (target < 1 MiB, limit 3 MiB gzip)`;
}

if (import.meta.main ?? process.argv[1] === import.meta.filename) {
  const size = measureBundle();
  console.log(`bundle: ${describeBundle(size)}`);
  if (size.gzipBytes > LIMIT_BYTES) {
    console.error("bundle: over the 3 MiB gzip limit of the Workers free plan");
    process.exit(1);
  }
  if (size.gzipBytes > TARGET_BYTES) console.warn("bundle: warning: over the 1 MiB target");
}
