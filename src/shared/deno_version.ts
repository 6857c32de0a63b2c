/**
 * The Deno versions known to crash a grpc-js server, so the server can warn at
 * start. Deno 2.9.4 to 2.9.6 segfault (or abort with `free(): invalid
 * pointer`) when streaming clients disconnect under load; see README.md.
 *
 * @module
 */

/** First and last affected version, inclusive. */
export const AFFECTED_DENO = { first: [2, 9, 4], last: [2, 9, 6] } as const;

/** The version this project is pinned to and tested on. */
export const PINNED_DENO = "2.9.3";

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** A warning line when `version` (e.g. `Deno.version.deno`) is affected, else undefined. */
export function denoVersionWarning(version: string): string | undefined {
  const parts = version.split(/[.+-]/).slice(0, 3).map(Number);
  if (parts.some(Number.isNaN)) return undefined;
  if (compare(parts, AFFECTED_DENO.first) < 0 || compare(parts, AFFECTED_DENO.last) > 0) {
    return undefined;
  }
  return `warning: Deno ${version} crashes grpc-js servers when streaming clients disconnect ` +
    `under load; run Deno ${PINNED_DENO} (npm install -g deno@${PINNED_DENO})`;
}
