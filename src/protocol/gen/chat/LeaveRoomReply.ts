// Original file: chat.proto

export interface LeaveRoomReply {
  /**
   * The caller was the last member: the room and its history are gone.
   */
  "deleted"?: boolean;
}

export interface LeaveRoomReply__Output {
  /**
   * The caller was the last member: the room and its history are gone.
   */
  "deleted": boolean;
}
