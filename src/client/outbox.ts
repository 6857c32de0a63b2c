/**
 * The sending half of a session: messages queue in the order they were
 * typed, and one Send at a time takes the head, so the server stores them in
 * that order. A failure worth retrying is retried after a backoff with the
 * same client_msg_id, so a retry of a message the server did store is
 * answered with its original sequence and stored nothing new. A refusal
 * (by the server, or by the client for text the server would refuse) drops
 * the message and says why.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Backoff } from "../shared/backoff.ts";
import type { SendReply } from "../protocol/proto.ts";
import { checkText } from "../shared/validate.ts";
import { detailsOf, metadataOf, RefusedError, statusOf, TRANSIENT, unary } from "./calls.ts";
import type { IdentityState } from "./identity.ts";
import type { SessionLink } from "./link.ts";

interface Outgoing {
  group: string;
  text: string;
  clientMsgId: string;
  resolve: (reply: SendReply) => void;
  reject: (error: Error) => void;
}

/** Sends for a session; see the module doc. */
export class Outbox {
  #link: SessionLink;
  #queue: Outgoing[] = [];
  /** Cancels the Send under way; undefined when none is. */
  #inFlight: AbortController | undefined;
  #wake: (() => void) | undefined;
  /** Called once the queue is empty (see {@link whenEmpty}). */
  #emptied = new Set<() => void>();

  /** An outbox for the session behind `link`; {@link run} starts sending. */
  constructor(link: SessionLink) {
    this.#link = link;
  }

  /** Messages queued and not yet acknowledged by the server, the one being sent included. */
  get size(): number {
    return this.#queue.length;
  }

  /** A Send is under way: the server may have stored it without answering yet. */
  get sending(): boolean {
    return this.#inFlight !== undefined;
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
      this.#queue.push({ group, text, clientMsgId: crypto.randomUUID(), resolve, reject });
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
   * The session is closing (its signal is aborted): cancels the Send under
   * way and rejects every queued message.
   */
  abandon(): void {
    this.#inFlight?.abort();
    this.#wake?.();
    for (const item of this.#queue.splice(0)) {
      item.reject(new Error("the client closed before the server acknowledged this message"));
    }
    this.#settled();
  }

  /** Sends the queue head to tail, one at a time, until the session closes. */
  async run(): Promise<void> {
    const link = this.#link;
    const backoff = new Backoff(link.backoff);
    while (!link.signal.aborted) {
      const item = this.#queue[0];
      if (!item) {
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
      try {
        this.#inFlight = new AbortController();
        const reply = await unary(
          link.client,
          "Send",
          { group: item.group, text: item.text, clientMsgId: item.clientMsgId },
          {
            metadata: metadataOf(state),
            options: link.callOptions(),
            signal: this.#inFlight.signal,
          },
        );
        this.#inFlight = undefined;
        this.#queue.shift();
        backoff.reset();
        item.resolve(reply);
        this.#settled();
      } catch (error) {
        this.#inFlight = undefined;
        if (link.signal.aborted) return;
        const code = statusOf(error);
        const details = detailsOf(error);
        if (code === grpc.status.UNAUTHENTICATED) {
          await link.replace(state, details).catch(() => {});
        } else if (TRANSIENT.has(code)) {
          // Same clientMsgId on the retry: if the first try was stored, the server says so.
          await link.waitToRetry("send", details, backoff, error).catch(() => {});
        } else {
          this.#queue.shift();
          item.reject(this.#refused(item.group, item.text, code, details));
          this.#settled();
        }
      }
    }
  }

  #settled(): void {
    if (this.#queue.length > 0) return;
    for (const done of [...this.#emptied]) done();
  }
}
