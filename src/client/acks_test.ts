import assert from "node:assert/strict";
import { ACK_DELAY_MS, ACK_EVERY_MESSAGES, AckBatcher } from "./acks.ts";

Deno.test("acks: a quarter window acks at once, cumulatively", () => {
  const sent: [string, number][] = [];
  const acks = new AckBatcher((g, s) => sent.push([g, s]));
  acks.received("general", 10);
  acks.received("general", 10 + ACK_EVERY_MESSAGES - 1);
  assert.deepEqual(sent, [], "not yet a quarter window past the first");
  acks.received("general", 10 + ACK_EVERY_MESSAGES);
  assert.deepEqual(sent, [["general", 10 + ACK_EVERY_MESSAGES]]);
  acks.cancel();
});

Deno.test("acks: a lone frame is acked after the delay; flush and cancel do what they say", async () => {
  const sent: [string, number][] = [];
  let ackArrived = () => {};
  const acks = new AckBatcher((g, s) => {
    sent.push([g, s]);
    ackArrived();
  });
  acks.received("general", 3);
  await new Promise<void>((resolve, reject) => {
    ackArrived = resolve;
    setTimeout(() => reject(new Error("no ack within 50 delays")), ACK_DELAY_MS * 50);
  });
  assert.deepEqual(sent, [["general", 3]]);
  acks.received("general", 4);
  acks.flush();
  assert.deepEqual(sent, [["general", 3], ["general", 4]]);
  acks.received("general", 5);
  acks.cancel();
  await new Promise((r) => setTimeout(r, ACK_DELAY_MS * 2));
  assert.deepEqual(sent, [["general", 3], ["general", 4]], "cancelled: nothing more");
});

Deno.test("acks: with batching, the groups due together go in one frame; a lone group as before", () => {
  const single: [string, number][] = [];
  const frames: { group: string; seq: number }[][] = [];
  const acks = new AckBatcher((g, s) => single.push([g, s]));
  acks.batchWith((list) => frames.push(list));
  acks.received("red", 4);
  acks.received("blue", 9);
  acks.received("red", 6);
  acks.flush();
  assert.deepEqual(frames, [[{ group: "red", seq: 6 }, { group: "blue", seq: 9 }]]);
  acks.received("red", 7);
  acks.flush();
  assert.deepEqual(single, [["red", 7]]);
  // A quarter window since red's last ack acks red at once, alone.
  acks.received("blue", 10);
  acks.received("red", 7 + ACK_EVERY_MESSAGES);
  assert.deepEqual(single, [["red", 7], ["red", 7 + ACK_EVERY_MESSAGES]]);
  acks.flush();
  assert.deepEqual(single.at(-1), ["blue", 10]);
  assert.equal(frames.length, 1);
});
