/**
 * What the client core reports, as typed events rather than sentences: one
 * callback, `ChatSessionOptions.onEvent`, receives every {@link ClientEvent},
 * and each front end (the line mode of `client.ts`, a full-screen one later)
 * decides how to show it. The core holds no text meant for a person.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type {
  GroupInfo,
  HistoryVisibility,
  Role,
  RoomEventKind,
  Visibility,
} from "../protocol/proto.ts";

/** A member's role in a room (chat.proto's Role), as the wire carries it: `Role.ADMIN` is 2. */
export type MemberRole = typeof Role[keyof typeof Role];
/** Who may join a room (chat.proto's Visibility): `Visibility.INVITE_ONLY` is 1. */
export type RoomVisibility = typeof Visibility[keyof typeof Visibility];
/** What a new member may read (chat.proto's HistoryVisibility). */
export type RoomHistory = typeof HistoryVisibility[keyof typeof HistoryVisibility];
/** What happened in a room (chat.proto's RoomEvent.Kind): `RoomEventKind.REMOVED` is 3. */
export type RoomEventKindValue = typeof RoomEventKind[keyof typeof RoomEventKind];

/** A received message, as carried by a {@link MessageEvent}. */
export interface ReceivedMessage {
  group: string;
  seq: number;
  senderId: string;
  senderName: string;
  /** The sender's account; empty for a guest. */
  senderHandle: string;
  text: string;
  sentAtMs: number;
}

/**
 * A Register succeeded: the client is connected as `displayName`; told again after each move
 * to another of the session's addresses (the check-in there).
 */
export interface ConnectedEvent {
  type: "connected";
  /** The address connected to, as given (`host:port`). */
  address: string;
  /** This client as others see it, e.g. `Luis#7f3a`. */
  displayName: string;
  /** True when a stored identity was resumed, false for a new one. */
  resumed: boolean;
  /** The server's groups, with what this client may do there and has not read. */
  groups: GroupInfo[];
  /** The account this device proves; empty for a guest. */
  handle: string;
  /** For a guest: why it is not an account. */
  guestReason: string;
}

/**
 * A call failed in a way worth retrying: the client is offline and retries
 * after `retryMs`, at `next` when it moves on to another of its addresses. Said once per
 * address and outage, not once per attempt.
 */
export interface OfflineEvent {
  type: "offline";
  /** Which call found the server away: connecting, the subscription, or a send. */
  call: "register" | "subscribe" | "send";
  /** The address that failed, as given (`host:port`). */
  address: string;
  /** The failure, briefly (`connection refused`, or the server's status details). */
  details: string;
  /** How long the client waits before the next try; 0 when it tries `next` at once. */
  retryMs: number;
  /** The address tried next, when it is another one (a session given several). */
  next?: string;
}

/** The server answers again after an {@link OfflineEvent}. */
export interface OnlineEvent {
  type: "online";
  /** Messages typed meanwhile, about to be sent. */
  queued: number;
}

/** A message was typed while offline; it waits in the outbox. */
export interface QueuedEvent {
  type: "queued";
  /** Messages waiting, this one included. */
  waiting: number;
}

/** A message of a group, new to this client (never reported twice). */
export interface MessageEvent {
  type: "message";
  message: ReceivedMessage;
}

/**
 * A typed message will not be sent: the server refused it, or the client did
 * before sending because the server would have (then `code` is the status the
 * server gives for it).
 */
export interface RefusedEvent {
  type: "refused";
  /** The group the message was for. */
  group: string;
  text: string;
  code: grpc.status;
  /** Why, in the server's words (or the shared check's, for a local refusal). */
  details: string;
}

/** Register refused the stored identity (NOT_FOUND or UNAUTHENTICATED): registering anew. */
export interface IdentityRejectedEvent {
  type: "identity-rejected";
  code: grpc.status;
  details: string;
}

/** A call after Register was UNAUTHENTICATED: the server no longer knows this client; registering anew. */
export interface IdentityRevokedEvent {
  type: "identity-revoked";
  details: string;
}

/** The server refused this client for good after it had started; the session has stopped. */
export interface EndedEvent {
  type: "ended";
  code: grpc.status;
  details: string;
}

/** The server refused the subscription's open frame: the client checks in (Register) again. */
export interface SubscriptionRefusedEvent {
  type: "subscription-refused";
  details: string;
}

/**
 * A group ends on the server before what this client has printed (the server's
 * database was replaced or restored): the client reads on from where it ends now.
 */
export interface HistoryRewoundEvent {
  type: "history-rewound";
  group: string;
  /** The group's last sequence on the server. */
  lastSeq: number;
  /** The highest sequence this client had printed. */
  printedSeq: number;
}

/** The state file could not be written: a restart may print some messages again. */
export interface StateSaveFailedEvent {
  type: "state-save-failed";
  error: Error;
}

/** Whom a {@link RoomEvent} is about: an account, or a guest device. */
export interface RoomMember {
  /** The account; empty for a guest (then `name` and `clientId` say which device). */
  handle: string;
  /** Its role after the event; ROLE_UNSPECIFIED when it is no longer a member. */
  role: MemberRole;
  /** The display name (of the guest device; an account's may be empty). */
  name: string;
  /** The guest device's id; may be empty for an account. */
  clientId: string;
}

/** One change in a room, as the server told it (chat.proto's RoomEvent). */
export interface RoomEvent {
  /**
   * JOINED, LEFT, REMOVED, ROLE_CHANGED, INVITED (this account was invited; `member` is
   * this account) or DELETED (the room and its history are gone). A kind this client
   * does not know (a newer server) is passed on as its number.
   */
  kind: RoomEventKindValue;
  member: RoomMember;
  /** The account that did it; empty when the member did it himself. */
  by: string;
}

/**
 * Something happened in a room this client is in or was invited to: a member joined, left,
 * was removed or given a role; the room was deleted. Told at most once; a stream that falls
 * behind may miss some (messages are never missed).
 */
export interface RoomEventEvent {
  type: "room-event";
  /** The room. */
  group: string;
  event: RoomEvent;
  /**
   * The event is about this client: its member is this device's account, or this very
   * device when it is a guest. Then REMOVED and LEFT mean this client is out of the room.
   */
  self: boolean;
}

/** Everything the client core reports; see the module doc. */
export type ClientEvent =
  | ConnectedEvent
  | OfflineEvent
  | OnlineEvent
  | QueuedEvent
  | MessageEvent
  | RefusedEvent
  | IdentityRejectedEvent
  | IdentityRevokedEvent
  | SubscriptionRefusedEvent
  | HistoryRewoundEvent
  | StateSaveFailedEvent
  | RoomEventEvent
  | EndedEvent;
