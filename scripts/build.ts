// `npm run build` (also run by `prepare`, so `npm ci`, `npm install` and
// `npm pack` leave a built tree):
// - dist/: the client package edge-auth/client, JavaScript plus generated .d.ts;
// - public/assets/vendor/scalar/: the API reference's script, copied from
//   node_modules and served as a static asset at /api/docs (no CDN).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

rmSync(path.join(root, "dist"), { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.client.json"], { cwd: root, stdio: "inherit" });

const vendor = path.join(root, "public/assets/vendor/scalar");
mkdirSync(vendor, { recursive: true });
copyFileSync(path.join(root, "node_modules/@scalar/api-reference/dist/browser/standalone.js"), path.join(vendor, "standalone.js"));
console.log("build: dist/client (edge-auth/client) and public/assets/vendor/scalar/standalone.js");
