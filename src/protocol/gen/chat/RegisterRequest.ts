// Original file: chat.proto

export interface RegisterRequest {
  "name"?: string;
  /**
   * Both set to resume a stored identity; both empty to register anew.
   */
  "clientId"?: string;
  "key"?: string;
}

export interface RegisterRequest__Output {
  "name": string;
  /**
   * Both set to resume a stored identity; both empty to register anew.
   */
  "clientId": string;
  "key": string;
}
