/**
 * Turning whatever was thrown into words for a person.
 *
 * @module
 */

/**
 * The message of `error` if it is an Error, else its string form.
 *
 * @example
 * ```ts
 * messageOf(new Error("disk full")); // "disk full"
 * messageOf("timeout"); // "timeout"
 * ```
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `error` itself if it is an Error, else an Error whose message is its string form. */
export function errorOf(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
