/**
 * Checks of what a person or a client sends, shared by the server (which
 * enforces them) and the client (which refuses before sending). Each returns
 * undefined when the value is fine, or a sentence saying what is wrong.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  MAX_CLIENT_MSG_ID_LENGTH,
  MAX_GROUP_NAME_LENGTH,
  MAX_HANDLE_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TEXT_BYTES,
} from "./limits.ts";

// C0 and C1 controls, DEL, and the bidi/line separators that can spoof other lines.
// deno-lint-ignore no-control-regex -- matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
/**
 * Characters that show nothing (format characters such as zero-width spaces and joiners,
 * the BOM, soft hyphen, Hangul fillers, variation selectors): in a name they would make two
 * names that look the same differ, or one name look like another.
 */
const INVISIBLE = /[\p{Cf}\u115f\u1160\u3164\uffa0\ufe00-\ufe0f\u034f\u17b4\u17b5]/u;

/** A handle: ASCII letters, digits, `.`, `_` and `-`; compared without case. */
const HANDLE = /^[A-Za-z0-9._-]+$/;
/** {@link CONTROL} but for tab, which a message may hold. */
const CONTROL_BUT_TAB =
  // deno-lint-ignore no-control-regex -- as above.
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Why `name` cannot be a display name, or undefined. */
export function checkName(name: string): string | undefined {
  if (name.trim() === "") return "the name is empty";
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) {
    return `the name is ${length} characters long; the limit is ${MAX_NAME_LENGTH}`;
  }
  if (CONTROL.test(name)) return "the name contains a control character";
  if (INVISIBLE.test(name)) return "the name contains an invisible character";
  if (name !== name.trim()) return "the name starts or ends with a space";
  return undefined;
}

/** Why `handle` cannot be an account's handle, or undefined. */
export function checkHandle(handle: string): string | undefined {
  if (handle === "") return "the handle is empty";
  if (handle.length > MAX_HANDLE_LENGTH) {
    return `the handle is ${handle.length} characters long; the limit is ${MAX_HANDLE_LENGTH}`;
  }
  if (!HANDLE.test(handle)) {
    return "a handle may have only ASCII letters, digits, '.', '_' and '-'";
  }
  return undefined;
}

/**
 * The handle a display name claims on first use: the name lower-cased, if it is a valid
 * handle; undefined for names that cannot be one (spaces, non-ASCII letters).
 */
export function handleOf(name: string): string | undefined {
  return checkHandle(name) === undefined ? name.toLowerCase() : undefined;
}

/** Why `name` cannot be a group's name, or undefined: letters, digits, `.`, `_` and `-`. */
export function checkGroupName(name: string): string | undefined {
  if (name === "") return "the group name is empty";
  const length = [...name].length;
  if (length > MAX_GROUP_NAME_LENGTH) {
    return `the group name is ${length} characters long; the limit is ${MAX_GROUP_NAME_LENGTH}`;
  }
  if (!/^[\p{L}\p{N}._-]+$/u.test(name)) {
    return "a group name may have only letters, digits, '.', '_' and '-'";
  }
  return undefined;
}

/** Why `text` cannot be a message, or undefined. Newlines are refused: a message is one line. */
export function checkText(text: string): string | undefined {
  if (text.trim() === "") return "the message is empty";
  // Counted, not encoded: the body is encoded once, later (src/body.ts).
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_TEXT_BYTES) {
    return `the message is ${bytes} bytes long; the limit is ${MAX_TEXT_BYTES} bytes`;
  }
  if (CONTROL_BUT_TAB.test(text)) return "the message contains a control character";
  return undefined;
}

/** Why `id` cannot be a client message id, or undefined. */
export function checkClientMsgId(id: string): string | undefined {
  if (id === "") return "client_msg_id is empty; give each message a unique id so retries are safe";
  if (id.length > MAX_CLIENT_MSG_ID_LENGTH) {
    return `client_msg_id is ${id.length} characters long; the limit is ${MAX_CLIENT_MSG_ID_LENGTH}`;
  }
  if (CONTROL.test(id)) return "client_msg_id contains a control character";
  return undefined;
}
