/**
 * A client's identity on disk: id, key and the highest sequence it has
 * printed per group, in one small JSON file per name and server.
 *
 * Two clients may run at once under the same name; they must be two
 * identities. Each running client holds an exclusive lock on its file (an OS
 * lock, released even if the process is killed), so a second `-name Luis`
 * takes the next slot (`Luis.2.json`), and a restarted one gets its old slot back.
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

/** A claimed identity file; see the module doc. */
export class IdentityFile {
  readonly path: string;
  readonly slot: number;
  #lock: Deno.FsFile;

  private constructor(path: string, slot: number, lock: Deno.FsFile) {
    this.path = path;
    this.slot = slot;
    this.#lock = lock;
  }

  /** Claims the first free slot for `name` on `server` under `dir`. */
  static async claim(dir: string, server: string, name: string): Promise<IdentityFile> {
    const folder = join(dir, encodeURIComponent(server));
    await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
    const base = encodeURIComponent(name);
    for (let slot = 1; slot <= MAX_SLOTS; slot++) {
      const path = join(folder, slot === 1 ? `${base}.json` : `${base}.${slot}.json`);
      const lock = await Deno.open(`${path}.lock`, { create: true, write: true, mode: 0o600 });
      if (await lock.tryLock(true)) return new IdentityFile(path, slot, lock);
      lock.close();
    }
    throw new Error(`more than ${MAX_SLOTS} clients named "${name}" are running against ${server}`);
  }

  /** The stored state, or undefined when there is none (or it is unreadable: then we start afresh). */
  async load(): Promise<IdentityState | undefined> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
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

  /**
   * Writes `state` atomically (a temporary file renamed over the old one).
   * Synchronous on purpose: the client saves after printing each frame and
   * before acknowledging it, so a client killed at any moment reprints at most
   * that frame; and saves can never overtake one another. The file is a few
   * hundred bytes and is not fsynced: it must survive the process, not the machine.
   */
  save(state: IdentityState): void {
    const tmp = `${this.path}.tmp`;
    Deno.writeTextFileSync(tmp, JSON.stringify(state) + "\n", { mode: 0o600 });
    Deno.renameSync(tmp, this.path);
  }

  /** Forgets the stored identity (the server no longer knows it). */
  async clear(): Promise<void> {
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
