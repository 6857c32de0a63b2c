/**
 * Where a client's identity lives in the state dir: with the server it was
 * made on, whatever address reached that server. `-server_ip localhost` and
 * `-server_ip 127.0.0.1` reach one server, so they must resume one identity;
 * keyed by the address typed, they were two, and switching replayed the whole
 * history.
 *
 * Layout of the state dir:
 *
 * - `servers/<serverId>/<name>[.N].json`: identities, per server (the lasting
 *   id its RegisterReply carries), in locked slots (see `identity.ts`).
 * - `addresses.json`: a hint, `address -> serverId`, of which server each
 *   address reached last; written (atomically) after each Register.
 * - `<address>/<name>[.N].json`: the layout before server ids, still read and
 *   moved from, and still used for a server that sends no id (an older one).
 *
 * A client may be given several addresses (`-server_ip a,b,c`): the nodes of
 * one service, which all answer with the same server id. The store is opened
 * for the whole list, and the identity it finds is the first hit over the list
 * in its order: for each address, the identity of the server its hint names,
 * then its folder of the older layout. An identity made through one node is so
 * resumed through any of them, whichever the client reaches first.
 *
 * The rule for keys: a stored key is only sent to an address known to reach
 * the server it was made for (its hint says so, or the older layout's folder
 * of that address held it), or to an address given in the same list as such
 * an address. The list is the user's word that its addresses are one service;
 * the key is never sent to an address outside the list the client was started
 * with. A hint can be stale (another server now answers there), and a list can
 * name separate servers: such a server refuses the key, as any server refuses
 * an unknown one, and the client registers anew there, filed under that
 * server's id ({@link IdentityStore.settle}); its identity of the first server
 * stays where it is, and is resumed when that server is reached again.
 *
 * @module
 */
import { join } from "node:path";
import { IdentityFile, type IdentityState, readIdentity, type StoredIdentity } from "./identity.ts";

const SERVERS = "servers";
const HINTS = "addresses.json";

/**
 * `text` as one path segment: percent-encoded, dots too, so that no name or
 * server id can be `..`, and `Luis.2` is not slot 2 of `Luis`.
 */
function segment(text: string): string {
  return encodeURIComponent(text).replaceAll(".", "%2E");
}

/** The folder of a server's identities. */
function serverFolder(dir: string, serverId: string): string {
  return join(dir, SERVERS, segment(serverId));
}

/** The folder of the older layout, keyed by the address as given (`127.0.0.1%3A50051`). */
function addressFolder(dir: string, address: string): string {
  return join(dir, encodeURIComponent(address));
}

/** The address -> serverId hints; an unreadable file means none. */
async function readHints(dir: string): Promise<Map<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Deno.readTextFile(join(dir, HINTS)));
  } catch {
    return new Map(); // Missing or torn: a hint only saves a registration.
  }
  const hints = new Map<string, string>();
  if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
    for (const [address, serverId] of Object.entries(parsed)) {
      if (typeof serverId === "string" && serverId !== "") hints.set(address, serverId);
    }
  }
  return hints;
}

/** Writes `text` to `path` through a temporary file of its own, so concurrent writers never tear it. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text, { mode: 0o600 });
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

/**
 * Where the identity of `name` may be for `addresses`, in the order to look (see the module
 * doc): per address, its hinted server's folder, then its folder of the older layout; each
 * folder once. Each is a folder and the base of the name's files there.
 */
async function candidates(
  dir: string,
  addresses: readonly string[],
  name: string,
): Promise<[folder: string, base: string][]> {
  const hints = await readHints(dir);
  const places = new Map<string, string>();
  for (const address of addresses) {
    const serverId = hints.get(address);
    if (serverId !== undefined) places.set(serverFolder(dir, serverId), segment(name));
    places.set(addressFolder(dir, address), encodeURIComponent(name));
  }
  return [...places];
}

/** `address` as a list of one; a list as it is. */
function listOf(address: string | readonly string[]): readonly string[] {
  const addresses = typeof address === "string" ? [address] : [...address];
  if (addresses.length === 0) throw new Error("an identity store needs at least one address");
  return addresses;
}

/**
 * The identity of one client (a name at an address, or at the addresses of one service) in
 * a state dir; see the module doc.
 */
export class IdentityStore {
  /** The state dir. */
  readonly dir: string;
  /** The server's addresses as given (`host:port`), in the order the client tries them. */
  readonly addresses: readonly string[];
  /** The display name. */
  readonly name: string;
  #file: IdentityFile | undefined;
  #stored: IdentityState | undefined;

  private constructor(
    dir: string,
    addresses: readonly string[],
    name: string,
    found: StoredIdentity | undefined,
  ) {
    this.dir = dir;
    this.addresses = addresses;
    this.name = name;
    this.#file = found?.file;
    this.#stored = found?.state;
  }

  /** The first of {@link addresses}: the only one, for a client given one. */
  get address(): string {
    return this.addresses[0];
  }

  /**
   * Finds and claims a stored identity for `name` at `address` (or at the first of
   * several, in order, that has one): in the folder of the server the address reached
   * last, else in the address's folder of the older layout. None found is fine: the client
   * registers anew, and {@link settle} gives the new identity its place.
   * @throws {Error} if `address` is an empty list, or the state dir cannot be created or read.
   */
  static async open(
    dir: string,
    address: string | readonly string[],
    name: string,
  ): Promise<IdentityStore> {
    const addresses = listOf(address);
    // Made now so that a state dir that cannot be written fails at start, not after a Register.
    await Deno.mkdir(join(dir, SERVERS), { recursive: true, mode: 0o700 });
    for (const [folder, base] of await candidates(dir, addresses, name)) {
      const found = await IdentityFile.claimStored(folder, base);
      if (found) return new IdentityStore(dir, addresses, name, found);
    }
    return new IdentityStore(dir, addresses, name, undefined);
  }

  /**
   * The identity a single client of `name` at `address` (or at several) would resume (the
   * first slot), read without claiming it: for tools and tests that look into a state dir
   * without knowing its layout.
   * @throws {Error} if the file exists but cannot be read.
   */
  static async peek(
    dir: string,
    address: string | readonly string[],
    name: string,
  ): Promise<IdentityState | undefined> {
    for (const [folder, base] of await candidates(dir, listOf(address), name)) {
      const found = await readIdentity(join(folder, `${base}.json`));
      if (found) return found;
    }
    return undefined;
  }

  /** The identity {@link open} found, to resume; undefined for none. */
  get stored(): IdentityState | undefined {
    return this.#stored;
  }

  /** The state file in use; undefined until an identity has a place. */
  get path(): string | undefined {
    return this.#file?.path;
  }

  /**
   * Saves `state` in the claimed file (synchronously; see {@link IdentityFile.save}).
   * @throws {Error} if no file is claimed yet, or it cannot be written.
   */
  save(state: IdentityState): void {
    if (!this.#file) throw new Error("no state file is claimed yet");
    this.#file.save(state);
  }

  /**
   * Puts `state`, just confirmed by a Register at `address` (one of {@link addresses}; the
   * first by default) whose reply carried `serverId` (empty from an older server), where it
   * belongs, saves it there and records the hint. An identity that is not in that server's folder yet moves there
   * (a file of the older layout is moved, not copied; a file of another
   * server stays, that server's own).
   *
   * One exception: when `state` was just made (`fresh`) and the server's
   * folder holds a stored identity of this name in a free slot, that one is
   * claimed and returned instead, for the caller to resume with one more
   * Register. That is the same server reached by another address
   * (`localhost` after `127.0.0.1`, or another node of the list); the fresh client id is
   * never used again.
   * The accepted cost: one unused client on the server, once per new address.
   * @returns the stored identity to resume instead, or undefined when `state` stays.
   * @throws {Error} if the state dir cannot be written.
   */
  async settle(
    state: IdentityState,
    serverId: string,
    fresh: boolean,
    address: string = this.address,
  ): Promise<IdentityState | undefined> {
    const [home, base] = serverId
      ? [serverFolder(this.dir, serverId), segment(this.name)]
      : [addressFolder(this.dir, address), encodeURIComponent(this.name)];
    if (this.#file?.folder === home) {
      this.#file.save(state);
    } else {
      if (fresh) {
        const found = await IdentityFile.claimStored(home, base);
        if (found) {
          // The hint is recorded when the Register that resumes it succeeds.
          await this.#switchTo(found.file, address);
          return found.state;
        }
      }
      const file = await IdentityFile.claimEmpty(home, base);
      file.save(state);
      await this.#switchTo(file, address, !fresh);
    }
    await this.#recordHint(address, serverId);
    return undefined;
  }

  /** Releases the claimed slot for the next client of this name. */
  release(): void {
    this.#file?.release();
  }

  /**
   * Makes `file` the one saves go to, then lets go of the previous one. A file of the
   * address-keyed layout is deleted when it is `address`'s, the address that answered (its
   * identity has moved, or the server there refused it), or when its identity `moved` (the
   * server accepted its key: the file of any address of the list). A file of another address
   * whose identity was not accepted stays: that may be another server, which never saw it.
   */
  async #switchTo(file: IdentityFile, address: string, moved = false): Promise<void> {
    const previous = this.#file;
    this.#file = file;
    if (!previous) return;
    const own = previous.folder === addressFolder(this.dir, address);
    const listed = this.addresses.some((a) => previous.folder === addressFolder(this.dir, a));
    if (own || (moved && listed)) await previous.remove();
    previous.release();
  }

  /** Records that `address` reaches `serverId` (or a server without an id: no hint). */
  async #recordHint(address: string, serverId: string): Promise<void> {
    const hints = await readHints(this.dir);
    if (serverId ? hints.get(address) === serverId : !hints.has(address)) return;
    if (serverId) hints.set(address, serverId);
    else hints.delete(address);
    await writeAtomically(
      join(this.dir, HINTS),
      JSON.stringify(Object.fromEntries(hints), null, 2) + "\n",
    );
  }
}
