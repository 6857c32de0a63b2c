import assert from "node:assert/strict";
import type { StoreChange, StoreChanges } from "../../store/types.ts";
import { followChanges, type Followers } from "./follower.ts";

Deno.test("follower: a fault while applying another node's change is logged, and the node goes on hearing", () => {
  let listener: ((change: StoreChange) => void) | undefined;
  const changes: StoreChanges = {
    subscribe(l) {
      listener = l;
      return () => listener = undefined;
    },
  };
  const heard: string[] = [];
  const logged: string[] = [];
  const node = {
    fanout: {
      heard(group: string, through: number) {
        if (group === "broken") throw new Error("the feed of broken is in a bad state");
        heard.push(`${group}:${through}`);
      },
    },
    log: (text: string) => logged.push(text),
  } as unknown as Followers;
  const stop = followChanges(changes, node);
  listener!({ kind: "messages", group: "broken", through: 3 });
  listener!({ kind: "messages", group: "general", through: 4 });
  assert.deepEqual(heard, ["general:4"]);
  assert.deepEqual(logged, [
    "applying a change from another node failed: the feed of broken is in a bad state",
  ]);
  stop();
  assert.equal(listener, undefined);
});
