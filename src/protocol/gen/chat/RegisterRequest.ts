// Original file: chat.proto

export interface RegisterRequest {
  "name"?: string;
  /**
   * Both set to resume a stored identity; both empty to register anew.
   */
  "clientId"?: string;
  "key"?: string;
  /**
   * How a new device proves an account, by the server's mode: nothing (claim
   * on first use: the handle is the name lower-cased), an operator's one-time
   * invite code, or a JWT from the identity provider. Without a proof, or when
   * the handle is already another device's, the device is a guest.
   */
  "invite"?: string;
  "token"?: string;
  /**
   * A one-time code from another device of an account (CreateLinkCode): this
   * device becomes a device of that account.
   */
  "linkCode"?: string;
}

export interface RegisterRequest__Output {
  "name": string;
  /**
   * Both set to resume a stored identity; both empty to register anew.
   */
  "clientId": string;
  "key": string;
  /**
   * How a new device proves an account, by the server's mode: nothing (claim
   * on first use: the handle is the name lower-cased), an operator's one-time
   * invite code, or a JWT from the identity provider. Without a proof, or when
   * the handle is already another device's, the device is a guest.
   */
  "invite": string;
  "token": string;
  /**
   * A one-time code from another device of an account (CreateLinkCode): this
   * device becomes a device of that account.
   */
  "linkCode": string;
}
