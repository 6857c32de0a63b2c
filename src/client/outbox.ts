/**
 * The sending half of a session: messages queue in the order they were typed, and the
 * server stores them in that order, once each.
 *
 * A lone message (nothing queued behind it) goes by one Send, as a person typing sends.
 * Once messages wait behind one another (a script or a paste on stdin, a backlog after an
 * outage) they go on one Publish stream, up to {@link PUBLISH_WINDOW} written ahead of
 * their answers once the server says it keeps a stream's order (`x-chat-publish: ordered`:
 * after failing to store one message it refuses the rest, so their resend keeps the order;
 * one at a time otherwise): the server stores a stream's messages in the order they arrive
 * and answers each, in that order, so the queue's head is always the oldest unanswered
 * message. The stream is closed as soon as nothing is unanswered or waiting, and the next
 * call (a stream or a Send) starts only after the last one has answered everything it
 * carried: two calls never carry messages at once, so they cannot overtake each other.
 *
 * Every message keeps its client_msg_id for good. After a transport failure, a stream that
 * ends, or one that answers nothing for a call's deadline (the oldest unanswered message's),
 * what is unanswered stays at the head of the queue and is sent again, in the same order,
 * after a backoff (at once at the session's next address when its node went away, see
 * `routes.ts`); the server answers a retry of a message it stored with its original
 * sequence and stores nothing new. A refusal (by the server, or by the client for text the
 * server would refuse) drops that message only and says why; UNAUTHENTICATED has the session
 * register again, then the messages go again as the new identity. A server without Publish
 * (UNIMPLEMENTED) is sent one Send at a time.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Backoff } from "../shared/backoff.ts";
import { PUBLISH_WINDOW } from "../shared/limits.ts";
import {
  ACCEPT_MORE_HEADER,
  PUBLISH_ORDER_HEADER,
  PUBLISH_ORDERED,
  type PublishReply,
  type SendReply,
} from "../protocol/proto.ts";
import { checkText } from "../shared/validate.ts";
import {
  briefDetails,
  detailsOf,
  metadataOf,
  RefusedError,
  statusOf,
  TRANSIENT,
  unary,
} from "./calls.ts";
import type { IdentityState } from "./identity.ts";
import type { SessionLink } from "./link.ts";
import type { Route } from "./routes.ts";

interface Outgoing {
  group: string;
  text: string;
  clientMsgId: string;
  resolve: (reply: SendReply) => void;
  reject: (error: Error) => void;
  /** When it was last written on a Publish stream, and by when its answer is due (ms). */
  writtenAt: number;
  deadline: number;
}

/** How a call carrying the queue's head ended without answering it. */
interface Failure {
  method: "Send" | "Publish";
  code: grpc.status;
  details: string;
  /** What failed, for the wait a server asks for (`retry-after-ms`). */
  cause?: unknown;
}

/** The epoch milliseconds of a call's deadline; Infinity for none. */
function deadlineMs(options: grpc.CallOptions): number {
  const deadline = options.deadline;
  if (deadline === undefined) return Infinity;
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** Sends for a session; see the module doc. */
export class Outbox {
  #link: SessionLink;
  /** Unanswered messages, oldest first; the first {@link inFlight} of them are on their way. */
  #queue: Outgoing[] = [];
  /** Messages of the queue's head written on the open Publish stream, not yet answered. */
  #written = 0;
  /** The open Publish stream has heard from the server (its headers or a reply). */
  #heard = false;
  /** A Send of the queue's head is under way. */
  #sendingOne = false;
  /** Cancels the call under way (a Send or a stream); undefined when none is. */
  #cancel: (() => void) | undefined;
  /** Told of a newly queued message: wakes the idle loop, or writes on the open stream. */
  #wake: (() => void) | undefined;
  /** Called once the queue is empty (see {@link whenEmpty}). */
  #emptied = new Set<() => void>();
  /** The server answered Publish UNIMPLEMENTED (an older one): Send only, from then on. */
  #publishUnsupported = false;

  /** An outbox for the session behind `link`; {@link run} starts sending. */
  constructor(link: SessionLink) {
    this.#link = link;
  }

  /** Messages queued and not yet acknowledged by the server, those on their way included. */
  get size(): number {
    return this.#queue.length;
  }

  /**
   * Messages on their way and not yet answered: the server may have stored them without
   * answering yet. At most {@link PUBLISH_WINDOW}.
   */
  get inFlight(): number {
    // Written on a stream while offline, to a server that has said nothing on it: still in the
    // client's transport (the connection is down), so not sent rather than in doubt.
    const written = this.#heard || this.#link.online() ? this.#written : 0;
    return written + (this.#sendingOne ? 1 : 0);
  }

  /** A message is on its way (see {@link inFlight}). */
  get sending(): boolean {
    return this.inFlight > 0;
  }

  /** Reports a refused message (the server's refusal, or the client's own) and gives its error. */
  #refused(group: string, text: string, code: grpc.status, details: string): RefusedError {
    this.#link.emit({ type: "refused", group, text, code, details });
    return new RefusedError(code, details);
  }

  /**
   * Queues `text` for `group`; see `ChatSession.send`. Text the server
   * would refuse (`checkText`) is refused here, before the network.
   */
  send(text: string, group: string): Promise<SendReply> {
    const problem = checkText(text);
    if (problem) {
      return Promise.reject(this.#refused(group, text, grpc.status.INVALID_ARGUMENT, problem));
    }
    return new Promise((resolve, reject) => {
      const clientMsgId = crypto.randomUUID();
      this.#queue.push({ group, text, clientMsgId, resolve, reject, writtenAt: 0, deadline: 0 });
      if (!this.#link.online()) this.#link.emit({ type: "queued", waiting: this.#queue.length });
      this.#wake?.();
    });
  }

  /** Resolves once the queue is empty, or after `timeoutMs`, whichever comes first. */
  whenEmpty(timeoutMs: number): Promise<void> {
    if (this.#queue.length === 0 || timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#emptied.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#emptied.add(done);
    });
  }

  /**
   * The session is closing (its signal is aborted): cancels the call under
   * way and rejects every queued message.
   */
  abandon(): void {
    this.#cancel?.();
    this.#wake?.();
    for (const item of this.#queue.splice(0)) {
      item.reject(new Error("the client closed before the server acknowledged this message"));
    }
    this.#settled();
  }

  /** Sends the queue head to tail until the session closes; see the module doc. */
  async run(): Promise<void> {
    const link = this.#link;
    const backoff = new Backoff(link.backoff);
    while (!link.signal.aborted) {
      if (this.#queue.length === 0) {
        await new Promise<void>((wake) => this.#wake = wake);
        this.#wake = undefined;
        continue;
      }
      let state: IdentityState;
      try {
        state = await link.identity();
      } catch {
        continue; // The registration was aborted: the loop condition ends it.
      }
      if (this.#queue.length === 0 || link.signal.aborted) continue; // Abandoned meanwhile.
      const route = link.route();
      // A lone message costs a Send what it would cost a stream, and holds no stream open
      // on the server while its sender is idle; a backlog is worth a stream.
      const failure = !this.#publishUnsupported && this.#queue.length > 1
        ? await this.#publish(state, route, backoff)
        : await this.#sendOne(state, route, backoff);
      if (failure && !link.signal.aborted) await this.#recover(state, route, failure, backoff);
    }
  }

  /** Sends the queue's head with one Send by `route`; resolves with how it failed, if it did. */
  async #sendOne(
    state: IdentityState,
    route: Route,
    backoff: Backoff,
  ): Promise<Failure | undefined> {
    const link = this.#link;
    const item = this.#queue[0];
    const cancel = new AbortController();
    this.#cancel = () => cancel.abort();
    this.#sendingOne = true;
    try {
      const reply = await unary(
        route.client,
        "Send",
        { group: item.group, text: item.text, clientMsgId: item.clientMsgId },
        { metadata: metadataOf(state), options: link.callOptions(), signal: cancel.signal },
      );
      this.#sendingOne = false;
      this.#queue.shift();
      backoff.reset();
      item.resolve(reply);
      this.#settled();
      return undefined;
    } catch (error) {
      return { method: "Send", code: statusOf(error), details: detailsOf(error), cause: error };
    } finally {
      this.#sendingOne = false;
      this.#cancel = undefined;
    }
  }

  /**
   * Sends the queue on one Publish stream as `state` by `route`, {@link PUBLISH_WINDOW} ahead
   * of the answers, until nothing is left to send or answer (the stream is then half-closed),
   * the identity changes (what is on its way is answered first), or the stream fails:
   * resolves with how, leaving what is unanswered at the queue's head.
   */
  #publish(state: IdentityState, route: Route, backoff: Backoff): Promise<Failure | undefined> {
    const link = this.#link;
    const queue = this.#queue;
    return new Promise((resolve) => {
      // The replies a commit makes ready at once come in one message (PublishReply.more).
      const metadata = metadataOf(state);
      metadata.set(ACCEPT_MORE_HEADER, "1");
      const call = route.client.Publish(metadata);
      this.#heard = false;
      // One message on its way until the server says it keeps a stream's order when it fails
      // to store a message (an older server does not: the resend could land behind the rest).
      let window = 1;
      call.on("metadata", (headers: grpc.Metadata) => {
        if (over) return;
        this.#heard = true;
        if (headers.get(PUBLISH_ORDER_HEADER)[0] === PUBLISH_ORDERED) window = PUBLISH_WINDOW;
        pump();
      });
      let over = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (failure?: Failure) => {
        if (over) return;
        over = true;
        clearTimeout(timer);
        link.signal.removeEventListener("abort", aborted);
        this.#written = 0; // What was unanswered is still the queue's head: sent again next.
        this.#wake = undefined;
        this.#cancel = undefined;
        if (failure) call.cancel();
        else call.end();
        resolve(failure);
      };
      const fail = (code: grpc.status, details: string, cause?: unknown) =>
        finish({ method: "Publish", code, details, cause });
      const aborted = () => fail(grpc.status.CANCELLED, "the client closed");

      // One timer for the oldest unanswered message: a later one's deadline is no earlier.
      const armDeadline = () => {
        if (timer !== undefined || this.#written === 0) return;
        timer = setTimeout(() => {
          timer = undefined;
          if (over || this.#written === 0) return;
          const head = queue[0];
          if (Date.now() < head.deadline) armDeadline();
          else {
            fail(
              grpc.status.DEADLINE_EXCEEDED,
              `the server did not answer within ${head.deadline - head.writtenAt} ms`,
            );
          }
        }, Math.max(0, queue[0].deadline - Date.now()));
      };

      const pump = () => {
        if (over) return;
        if (state !== link.current()) {
          // Registered anew meanwhile: this stream's messages are answered (or fail) as the
          // identity they were sent as, and the rest go on a stream of the new one.
          if (this.#written === 0) finish();
          return;
        }
        while (this.#written < window && this.#written < queue.length) {
          const item = queue[this.#written++];
          item.writtenAt = Date.now();
          item.deadline = deadlineMs(link.callOptions());
          call.write({ group: item.group, text: item.text, clientMsgId: item.clientMsgId });
        }
        // Nothing to send or answer: closed, so that an idle client holds no stream open.
        if (this.#written === 0) finish();
        else if (Number.isFinite(queue[0].deadline)) armDeadline();
      };

      call.on("data", (reply: PublishReply) => {
        if (over) return;
        this.#heard = true;
        if (reply.more.length === 0) take(reply);
        else for (const one of [reply, ...reply.more]) take(one);
      });
      /** One message's reply, in order. */
      const take = (reply: PublishReply) => {
        if (over) return;
        const item = queue[0];
        if (this.#written === 0 || reply.clientMsgId !== item.clientMsgId) {
          // A server that breaks chat.proto's order: nothing it says of this stream is sure.
          fail(
            grpc.status.INTERNAL,
            `the server answered message "${reply.clientMsgId}" when "${
              this.#written === 0 ? "none" : item.clientMsgId
            }" was due`,
          );
          return;
        }
        const details = briefDetails(reply.details);
        if (reply.code === grpc.status.UNAUTHENTICATED || TRANSIENT.has(reply.code)) {
          // Not stored, and worth sending again: it and everything after it, on a new stream.
          fail(reply.code, details || grpc.status[reply.code]);
          return;
        }
        queue.shift();
        this.#written--;
        if (reply.code === grpc.status.OK) {
          backoff.reset();
          item.resolve({ seq: reply.seq, sentAtMs: reply.sentAtMs, duplicate: reply.duplicate });
        } else {
          item.reject(this.#refused(item.group, item.text, reply.code, details));
        }
        this.#settled();
        pump();
      };
      call.on("error", () => {}); // The status event below carries the outcome.
      call.on("status", (status: grpc.StatusObject) => {
        if (over) return;
        if (status.code === grpc.status.OK && this.#written === 0) return finish();
        const details = status.code === grpc.status.OK
          ? "the server ended the stream before answering every message"
          : status.details
          ? briefDetails(status.details)
          : grpc.status[status.code];
        fail(status.code, details, status);
      });
      link.signal.addEventListener("abort", aborted, { once: true });
      this.#cancel = aborted;
      this.#wake = pump;
      pump();
    });
  }

  /**
   * What to do after `failure` of a call made as `state` by `route`: fall back to Send (a
   * server without Publish), register again (UNAUTHENTICATED), wait and retry (the server
   * away or busy, perhaps at another address; a stream that ended), or drop the queue's head
   * as refused (what Send would have said of it).
   */
  async #recover(
    state: IdentityState,
    route: Route,
    failure: Failure,
    backoff: Backoff,
  ): Promise<void> {
    const link = this.#link;
    const { method, code, details } = failure;
    if (method === "Publish" && code === grpc.status.UNIMPLEMENTED) {
      // An older server: it stored nothing of this stream, and Send does what Publish would.
      this.#publishUnsupported = true;
      return;
    }
    if (code === grpc.status.UNAUTHENTICATED) {
      await link.replace(state, details).catch(() => {});
    } else if (code === grpc.status.OK || TRANSIENT.has(code)) {
      // Same clientMsgIds on the retry: what the server did store, it says so.
      await link.waitToRetry(
        { call: "send", route, code, details, cause: failure.cause },
        backoff,
      ).catch(() => {});
    } else {
      const item = this.#queue.shift();
      if (!item) return;
      item.reject(this.#refused(item.group, item.text, code, details));
      this.#settled();
    }
  }

  #settled(): void {
    if (this.#queue.length > 0) return;
    for (const done of [...this.#emptied]) done();
  }
}
