/**
 * The limits of grpc-chat, in one place so that the server, the client and the
 * docs agree. Each is enforced by the server; the client checks the ones a
 * person can hit by typing, so the refusal comes before the network.
 *
 * @module
 */

/** Name of the group every server has; `-members` closes it to a list of names. */
export const DEFAULT_GROUP = "general";

/** A group name is 1 to this many letters, digits, `.`, `_` or `-`. */
export const MAX_GROUP_NAME_LENGTH = 64;

/**
 * Most groups a server has, `general` included. Each keeps its last
 * {@link RECENT_MESSAGES_KEPT} messages in memory for live fan-out.
 */
export const MAX_GROUPS = 100;

/** A display name is 1 to this many characters (code points), with no control characters. */
export const MAX_NAME_LENGTH = 64;

/** An account's handle is 1 to this many ASCII letters, digits, `.`, `_` or `-`. */
export const MAX_HANDLE_LENGTH = 64;

/** Most devices one account may have (its first, plus linked ones). */
export const MAX_DEVICES_PER_ACCOUNT = 10;

/** Most devices whose verified identity the server keeps in memory (least recently used go). */
export const MAX_CACHED_CLIENTS = 50_000;

/** Most guest devices (registered without an account) a server keeps. */
export const MAX_GUESTS = 100_000;

/** How long a link code or an invite code stays valid. */
export const LINK_CODE_TTL_MS = 10 * 60_000;

/** See {@link LINK_CODE_TTL_MS}: invites live longer, as the operator hands them out by hand. */
export const INVITE_CODE_TTL_MS = 7 * 24 * 3_600_000;

/** A message text is 1 to this many bytes of UTF-8. */
export const MAX_TEXT_BYTES = 4096;

/** A client message id (the retry key) is 1 to this many characters. */
export const MAX_CLIENT_MSG_ID_LENGTH = 64;

/**
 * Largest message the server accepts on the wire. A Send of the largest text
 * with all its fields fits with room to spare; anything bigger is refused by
 * grpc-js with RESOURCE_EXHAUSTED before our code sees it.
 */
export const MAX_RECEIVE_MESSAGE_BYTES = 16 * 1024;

/** Most messages one Delivery frame carries: catch-up and fan-out batch up to this. */
export const MAX_MESSAGES_PER_FRAME = 256;

/**
 * Largest Delivery frame: a full frame of the largest texts with their
 * fields. Clients must accept frames of this size.
 */
export const MAX_SEND_MESSAGE_BYTES = MAX_MESSAGES_PER_FRAME * (MAX_TEXT_BYTES + 512);

/**
 * Most unacknowledged messages in flight per subscriber and group. It bounds
 * what a slow or stalled client holds in server memory: Deno 2.9.3's http2 has
 * no real write backpressure, so the transport cannot be trusted to.
 */
export const DELIVERY_WINDOW = 1024;

/**
 * Recent messages per operator's group kept in memory (this many to twice as many), so live
 * fan-out does not read the database; none while nobody is subscribed.
 */
export const RECENT_MESSAGES_KEPT = 4096;

/**
 * {@link RECENT_MESSAGES_KEPT} for a room: rooms are many and small, and a member online is
 * rarely more than a few messages behind; further back, frames are read from the store.
 */
export const ROOM_RECENT_MESSAGES_KEPT = 64;

/** How long the server may hold acknowledgements before writing them (they are not fsynced one by one). */
export const CURSOR_FLUSH_MS = 100;

/**
 * Most messages of one Publish stream read but not yet answered (being stored, or their reply
 * not yet handed to the transport). Past it the server stops reading that stream until replies
 * go out, so a stalled commit cannot make it hold a sender's messages without bound. Replies the
 * sender does not read are held by the transport: Deno 2.9.3's http2 has no write backpressure.
 * They are smaller than the messages they answer, which are stored anyway.
 */
export const MAX_PUBLISH_IN_FLIGHT = 1024;

/**
 * Most messages a client has written on its Publish stream and not yet had answered; the rest
 * wait in its outbox. Enough to keep one client's stream busy while a commit is under way (a
 * piped `deno task client` stored about 5,200 lines/s with 64, 7,200 with 256, and no more with
 * 512 or 1,000, on a machine busy with other benchmarks: the server was then the limit; 16,827
 * and 28,895 lines/s with 256 in quiet full runs), a quarter of {@link MAX_PUBLISH_IN_FLIGHT}
 * so the server never stops reading a client that keeps to it, and a bound on what a broken
 * stream makes the client send again.
 */
export const PUBLISH_WINDOW = 256;

/** Most rooms (groups made at run time) a server has; the operator's groups are apart. */
export const MAX_ROOMS = 10_000;

/** Most rooms one account (or guest device) is a member of, those it made included. */
export const MAX_ROOMS_PER_MEMBER = 100;

/** Most members of one room, accounts and guests together. */
export const MAX_MEMBERS_PER_ROOM = 1_000;

/** Most invites of one room outstanding at once: invited accounts and unused codes together. */
export const MAX_INVITES_PER_ROOM = 100;

/** How long a room's one-time invite code stays valid. */
export const ROOM_CODE_TTL_MS = 7 * 24 * 3_600_000;

/** Messages in one History page: at most this many; {@link DEFAULT_HISTORY_PAGE} when not said. */
export const MAX_HISTORY_PAGE = 100;

/** See {@link MAX_HISTORY_PAGE}. */
export const DEFAULT_HISTORY_PAGE = 20;

/**
 * Room events (joins, leaves, roles, invites) written to one Subscribe stream and not yet taken
 * by the transport: past it, further events to that stream are dropped. Events are told at most
 * once; messages never are, and have their own window ({@link DELIVERY_WINDOW}).
 */
export const MAX_PENDING_EVENTS = 256;

/** Most rooms to join that one ListRooms answer lists (by name), after the caller's own. */
export const MAX_ROOMS_LISTED = 500;
