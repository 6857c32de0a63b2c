/**
 * The operator secret: what proves an Admin call. It lives in a file only the
 * server's user can read (mode 0600), made at first start; the operator's
 * command reads it from there (`deno task admin -secret_file ...`).
 *
 * @module
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { hashKey } from "../auth/authenticator.ts";
import { messageOf } from "../../shared/errors.ts";

/** Raised when the secret file cannot be made or read, or is unsafe; the message says which. */
export class AdminSecretError extends Error {
  override name = "AdminSecretError";
}

/** An operator secret, compared in constant time. */
export class AdminSecret {
  readonly path: string;
  #hash: Uint8Array;

  private constructor(path: string, secret: string) {
    this.path = path;
    this.#hash = hashKey(secret);
  }

  /**
   * Reads the secret at `path`, making it (256 random bits, mode 0600) if the file is missing.
   *
   * @throws {AdminSecretError} if the file cannot be made or read, is empty, or can be read
   *   by other users.
   */
  static async loadOrCreate(path: string): Promise<AdminSecret> {
    try {
      const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
      await file.write(new TextEncoder().encode(`${randomBytes(32).toString("base64url")}\n`));
      file.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw new AdminSecretError(`cannot make the operator secret ${path}: ${messageOf(error)}`);
      }
    }
    let text: string;
    try {
      const info = await Deno.stat(path);
      if (info.mode !== null && (info.mode & 0o077) !== 0) {
        throw new AdminSecretError(
          `the operator secret ${path} can be read by other users (mode ${
            (info.mode & 0o777).toString(8)
          }); chmod 600 it`,
        );
      }
      text = (await Deno.readTextFile(path)).trim();
    } catch (error) {
      if (error instanceof AdminSecretError) throw error;
      throw new AdminSecretError(`cannot read the operator secret ${path}: ${messageOf(error)}`);
    }
    if (text === "") throw new AdminSecretError(`the operator secret ${path} is empty`);
    return new AdminSecret(path, text);
  }

  /** Whether `given` is the secret. */
  matches(given: string): boolean {
    return timingSafeEqual(hashKey(given.trim()), this.#hash);
  }
}
