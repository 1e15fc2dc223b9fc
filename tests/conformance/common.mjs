// Shared by the conformance scripts: where the official SDKs are, and how a
// script reports. Exit status of every script: 0 when every check holds, 1 on
// the first mismatch (printed), 77 when its SDK is not installed.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Imports `file` (e.g. "lumaai/index.mjs") from node_modules under
// $AIGATE_CONFORMANCE_DIR, else under this folder (where
// `npm install --prefix tests/conformance` puts it); `legacyEnv` names an
// older variable that wins when set. Exits 77 when it is not there.
export async function importSdk(file, legacyEnv) {
  const dir = (legacyEnv && process.env[legacyEnv]) || process.env.AIGATE_CONFORMANCE_DIR ||
              dirname(fileURLToPath(import.meta.url));
  const entry = join(dir, 'node_modules', file);
  if (!existsSync(entry)) {
    console.log(`skipped: no SDK at ${entry} (npm install --prefix tests/conformance)`);
    process.exit(77);
  }
  return import(pathToFileURL(entry).href);
}

export function check(condition, what) {
  if (!condition) {
    console.log(`FAILED: ${what}`);
    process.exit(1);
  }
}

// What `promise` rejects with, or null when it resolves.
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return null;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The bytes `url` serves, fetched with a plain GET (as the gateway does).
export async function download(url) {
  const response = await fetch(url);
  return { ok: response.ok, type: response.headers.get('content-type'),
           bytes: Buffer.from(await response.arrayBuffer()) };
}

export const isPng = (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
export const isMp4 = (b) => b.subarray(4, 8).toString('latin1') === 'ftyp';
