import assert from "node:assert/strict";
import { parseAddressList } from "./addresses.ts";
import { FlagError } from "./flags.ts";

Deno.test("addresses: one host takes the default port, as -server_ip always did", () => {
  assert.deepEqual(parseAddressList("127.0.0.1", 50051), [
    { host: "127.0.0.1", port: 50051, address: "127.0.0.1:50051" },
  ]);
  assert.deepEqual(parseAddressList("localhost", 7000), [
    { host: "localhost", port: 7000, address: "localhost:7000" },
  ]);
});

Deno.test("addresses: a list keeps its order; entries with a port keep theirs", () => {
  assert.deepEqual(
    parseAddressList("10.0.0.5,chat-b.example.org:7000,chat_c.local.:7001", 50051),
    [
      { host: "10.0.0.5", port: 50051, address: "10.0.0.5:50051" },
      { host: "chat-b.example.org", port: 7000, address: "chat-b.example.org:7000" },
      { host: "chat_c.local.", port: 7001, address: "chat_c.local.:7001" },
    ],
  );
  assert.deepEqual(
    parseAddressList(" a:1 , b ", 2).map((a) => a.address),
    ["a:1", "b:2"],
    "spaces around an entry are no part of it",
  );
});

Deno.test("addresses: IPv6 bare (default port) or in brackets (with or without a port)", () => {
  assert.deepEqual(parseAddressList("::1", 50051), [
    { host: "::1", port: 50051, address: "[::1]:50051" },
  ]);
  assert.deepEqual(parseAddressList("[::1]", 50051), [
    { host: "::1", port: 50051, address: "[::1]:50051" },
  ]);
  assert.deepEqual(parseAddressList("[fe80::1]:7000,::1:7000,127.0.0.1:7002", 50051), [
    { host: "fe80::1", port: 7000, address: "[fe80::1]:7000" },
    // Two colons or more without brackets: all of it is the address.
    { host: "::1:7000", port: 50051, address: "[::1:7000]:50051" },
    { host: "127.0.0.1", port: 7002, address: "127.0.0.1:7002" },
  ]);
});

Deno.test("addresses: a bad entry is refused with a message that names it", () => {
  const cases: [string, string][] = [
    ["", "flag -server_ip: '' has an empty entry (write HOST[:PORT],HOST[:PORT]...)"],
    ["a,,b", "flag -server_ip: 'a,,b' has an empty entry (write HOST[:PORT],HOST[:PORT]...)"],
    ["a:1,", "flag -server_ip: 'a:1,' has an empty entry (write HOST[:PORT],HOST[:PORT]...)"],
    [
      "a:1,b:0",
      "flag -server_ip: 'b:0' has a port '0' that is not a whole number from 1 to 65535",
    ],
    [
      "a:65536",
      "flag -server_ip: 'a:65536' has a port '65536' that is not a whole number from 1 to 65535",
    ],
    ["a:", "flag -server_ip: 'a:' has a port '' that is not a whole number from 1 to 65535"],
    [
      "good,b:http",
      "flag -server_ip: 'b:http' has a port 'http' that is not a whole number from 1 to 65535",
    ],
    [
      "a b:1",
      "flag -server_ip: 'a b:1' is not HOST[:PORT] (HOST a DNS name, an IPv4 address or [an IPv6 address])",
    ],
    [
      ":7000",
      "flag -server_ip: ':7000' is not HOST[:PORT] (HOST a DNS name, an IPv4 address or [an IPv6 address])",
    ],
    [
      "x/y",
      "flag -server_ip: 'x/y' is not HOST[:PORT] (HOST a DNS name, an IPv4 address or [an IPv6 address])",
    ],
    [
      "[127.0.0.1]:1",
      "flag -server_ip: '[127.0.0.1]:1' is not an IPv6 address in brackets ([ADDR] or [ADDR]:PORT)",
    ],
    [
      "[::1]x",
      "flag -server_ip: '[::1]x' is not an IPv6 address in brackets ([ADDR] or [ADDR]:PORT)",
    ],
    [
      "[::1",
      "flag -server_ip: '[::1' is not an IPv6 address in brackets ([ADDR] or [ADDR]:PORT)",
    ],
    [
      "[::1]:99999",
      "flag -server_ip: '[::1]:99999' has a port '99999' that is not a whole number from 1 to 65535",
    ],
    [
      "a:1:2",
      "flag -server_ip: 'a:1:2' is not an IPv6 address (one with a port is written [ADDR]:PORT)",
    ],
    ["a:1,b,a:1", "flag -server_ip: 'a:1' is given twice (as a:1)"],
    ["a,a:7", "flag -server_ip: 'a:7' is given twice (as a:7)"],
    ["::1,[::1]", "flag -server_ip: '[::1]' is given twice (as [::1]:50051)"],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseAddressList(text, text.startsWith("a,a") ? 7 : 50051),
      new FlagError(message),
      text,
    );
  }
});

Deno.test("addresses: the refusal names the flag it is given", () => {
  assert.throws(
    () => parseAddressList("a:0", 1, "nodes"),
    new FlagError("flag -nodes: 'a:0' has a port '0' that is not a whole number from 1 to 65535"),
  );
});
