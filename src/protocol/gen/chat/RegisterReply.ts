// Original file: chat.proto

import type {
  GroupInfo as _chat_GroupInfo,
  GroupInfo__Output as _chat_GroupInfo__Output,
} from "../chat/GroupInfo.ts";

export interface RegisterReply {
  "clientId"?: string;
  /**
   * The secret: only the client holds it; the server keeps its hash.
   */
  "key"?: string;
  "groups"?: (_chat_GroupInfo)[];
  /**
   * True when an existing identity was resumed.
   */
  "resumed"?: boolean;
  /**
   * This server's lasting id (kept in its database): the same whatever address the client
   * used to reach it, and new when the database is new. Clients key their stored identity by it.
   */
  "serverId"?: string;
  /**
   * The account (handle) this device proves; empty for a guest.
   */
  "handle"?: string;
  /**
   * For a guest: why it is not an account, for the person.
   */
  "guestReason"?: string;
  /**
   * The display name as registered: the request's, or the identity provider's (token mode).
   */
  "name"?: string;
}

export interface RegisterReply__Output {
  "clientId": string;
  /**
   * The secret: only the client holds it; the server keeps its hash.
   */
  "key": string;
  "groups": (_chat_GroupInfo__Output)[];
  /**
   * True when an existing identity was resumed.
   */
  "resumed": boolean;
  /**
   * This server's lasting id (kept in its database): the same whatever address the client
   * used to reach it, and new when the database is new. Clients key their stored identity by it.
   */
  "serverId": string;
  /**
   * The account (handle) this device proves; empty for a guest.
   */
  "handle": string;
  /**
   * For a guest: why it is not an account, for the person.
   */
  "guestReason": string;
  /**
   * The display name as registered: the request's, or the identity provider's (token mode).
   */
  "name": string;
}
