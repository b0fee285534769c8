// Builds the Worker exactly as `wrangler deploy` would (without uploading) and
// reports its size; fails above the Workers free plan's 3 MiB gzip limit.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";

const root = path.resolve(import.meta.dirname, "..");
const LIMIT_BYTES = 3 * 1024 * 1024;

export function measureBundle(): { rawBytes: number; gzipBytes: number } {
  const outdir = mkdtempSync(path.join(tmpdir(), "edge-auth-bundle-"));
  try {
    execFileSync(process.execPath, [path.join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
    let rawBytes = 0;
    const chunks: Buffer[] = [];
    for (const file of readdirSync(outdir, { recursive: true }) as string[]) {
      const full = path.join(outdir, file);
      if (!statSync(full).isFile() || file.endsWith(".map") || file === "README.md") continue;
      const content = readFileSync(full);
      rawBytes += content.length;
      chunks.push(content);
    }
    return { rawBytes, gzipBytes: gzipSync(Buffer.concat(chunks), { level: 9 }).length };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (import.meta.main ?? process.argv[1] === import.meta.filename) {
  const { rawBytes, gzipBytes } = measureBundle();
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`bundle: ${kib(rawBytes)} raw, ${kib(gzipBytes)} gzip (limit ${kib(LIMIT_BYTES)} gzip)`);
  if (gzipBytes > LIMIT_BYTES) {
    console.error("bundle: over the 3 MiB gzip limit of the Workers free plan");
    process.exit(1);
  }
}
