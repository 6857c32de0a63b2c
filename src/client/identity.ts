/**
 * One identity on disk: id, key and the highest sequence printed per group,
 * in a small JSON file, one of the numbered slots of a name in a folder.
 * Which folder (which server) is `identity_store.ts`'s business.
 *
 * Two clients may run at once under the same name; they must be two
 * identities. Each running client holds an exclusive lock on its file (an OS
 * lock, released even if the process is killed), so a second `-name Luis`
 * takes another slot (`Luis.2.json`), and a restarted one gets a stored
 * identity back.
 *
 * @module
 */
import { join } from "node:path";

/** What a client remembers between runs. */
export interface IdentityState {
  clientId: string;
  key: string;
  /** Highest sequence printed, per group. */
  seen: Record<string, number>;
}

/** Where state files go by default: `$XDG_STATE_HOME/grpc-chat`, else `~/.local/state/grpc-chat`. */
export function defaultStateDir(): string {
  const xdg = Deno.env.get("XDG_STATE_HOME");
  if (xdg) return join(xdg, "grpc-chat");
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (home) return join(home, ".local", "state", "grpc-chat");
  return join(Deno.cwd(), ".grpc-chat");
}

/** Most clients of one name at once on one machine and server. */
export const MAX_SLOTS = 1000;

/** A claimed file holding a stored identity, and that identity. */
export interface StoredIdentity {
  file: IdentityFile;
  state: IdentityState;
}

/**
 * The identity stored at `path`, or undefined when there is none (or it is
 * unreadable: then the client starts afresh). Takes no lock.
 * @throws {Deno.errors.PermissionDenied} and other errors but a missing file.
 */
export async function readIdentity(path: string): Promise<IdentityState | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    const state = JSON.parse(text);
    if (typeof state?.clientId === "string" && typeof state?.key === "string") {
      return { clientId: state.clientId, key: state.key, seen: { ...state.seen } };
    }
  } catch {
    // A torn or edited file: a fresh registration is the safe answer.
  }
  return undefined;
}

function slotPath(folder: string, base: string, slot: number): string {
  return join(folder, slot === 1 ? `${base}.json` : `${base}.${slot}.json`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A claimed identity file (its slot is locked until {@link IdentityFile.release}); see the module doc. */
export class IdentityFile {
  /** The folder of the slot. */
  readonly folder: string;
  /** The state file (its lock is the same path plus `.lock`). */
  readonly path: string;
  /** 1 for `base.json`, N for `base.N.json`. */
  readonly slot: number;
  #lock: Deno.FsFile;

  private constructor(folder: string, slot: number, path: string, lock: Deno.FsFile) {
    this.folder = folder;
    this.slot = slot;
    this.path = path;
    this.#lock = lock;
  }

  /** Locks `slot` of `base` in `folder`, or undefined if another client holds it. */
  static async #tryClaim(
    folder: string,
    base: string,
    slot: number,
  ): Promise<IdentityFile | undefined> {
    const path = slotPath(folder, base, slot);
    const lock = await Deno.open(`${path}.lock`, { create: true, write: true, mode: 0o600 });
    if (await lock.tryLock(true)) return new IdentityFile(folder, slot, path, lock);
    lock.close();
    return undefined;
  }

  /**
   * Claims the first free slot of `base` (a file-safe name) in `folder` that
   * holds a stored identity, or resolves undefined when there is none (or the
   * folder does not exist; it is not created).
   * @throws {Deno.errors.PermissionDenied} and other file-system errors.
   */
  static async claimStored(folder: string, base: string): Promise<StoredIdentity | undefined> {
    const pattern = new RegExp(`^${escapeRegExp(base)}(?:\\.(\\d+))?\\.json$`);
    const slots: number[] = [];
    try {
      for await (const entry of Deno.readDir(folder)) {
        const match = entry.isFile ? entry.name.match(pattern) : null;
        const slot = match ? Number(match[1] ?? 1) : 0;
        if (
          slot >= 1 && slot <= MAX_SLOTS &&
          join(folder, entry.name) === slotPath(folder, base, slot)
        ) {
          slots.push(slot);
        }
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
    for (const slot of slots.sort((a, b) => a - b)) {
      const file = await IdentityFile.#tryClaim(folder, base, slot);
      if (!file) continue;
      const state = await file.load();
      if (state) return { file, state };
      file.release();
    }
    return undefined;
  }

  /**
   * Claims the first free slot of `base` in `folder` that holds no stored
   * identity (a free slot that does is someone's to resume), creating the folder.
   * @throws {Error} when all {@link MAX_SLOTS} slots are taken, and file-system errors.
   */
  static async claimEmpty(folder: string, base: string): Promise<IdentityFile> {
    await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
    for (let slot = 1; slot <= MAX_SLOTS; slot++) {
      const file = await IdentityFile.#tryClaim(folder, base, slot);
      if (!file) continue;
      if (!await file.load()) return file;
      file.release();
    }
    throw new Error(`all ${MAX_SLOTS} slots of ${base} in ${folder} are in use`);
  }

  /**
   * The stored state, or undefined when there is none (or it is unreadable: then we start afresh).
   * @throws {Deno.errors.PermissionDenied} and other errors but a missing file.
   */
  load(): Promise<IdentityState | undefined> {
    return readIdentity(this.path);
  }

  /**
   * Writes `state` atomically (a temporary file renamed over the old one).
   * Synchronous on purpose: the client saves after printing each frame and
   * before acknowledging it, so a client killed at any moment reprints at most
   * that frame; and saves can never overtake one another. The file is a few
   * hundred bytes and is not fsynced: it must survive the process, not the machine.
   * @throws {Error} if the file cannot be written.
   */
  save(state: IdentityState): void {
    const tmp = `${this.path}.tmp`;
    Deno.writeTextFileSync(tmp, JSON.stringify(state) + "\n", { mode: 0o600 });
    Deno.renameSync(tmp, this.path);
  }

  /** Deletes the stored state (the slot stays claimed until released). */
  async remove(): Promise<void> {
    await Deno.remove(this.path).catch(() => {});
  }

  /** Releases the slot for the next client of this name. */
  release(): void {
    try {
      this.#lock.close();
    } catch {
      // Already closed.
    }
  }
}
