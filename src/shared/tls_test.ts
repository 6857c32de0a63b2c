import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { FlagError } from "./flags.ts";
import {
  channelCredentials,
  clientTlsFromFlags,
  isLoopback,
  plaintextWarning,
  serverCredentials,
  serverTlsFromFlags,
  TlsFileError,
} from "./tls.ts";

/** A test certificate or key (tests/fixtures/tls/make.sh), as an absolute path. */
function fixture(name: string): string {
  return decodeURIComponent(new URL(`../../tests/fixtures/tls/${name}`, import.meta.url).pathname);
}

const SERVER = { cert: fixture("server.pem"), key: fixture("server.key") };

Deno.test("tls: server flags: none is plaintext; the key goes with the certificate", () => {
  assert.equal(serverTlsFromFlags({}), undefined);
  assert.deepEqual(serverTlsFromFlags({ tls_cert: "c.pem", tls_key: "k.pem" }), {
    cert: "c.pem",
    key: "k.pem",
    clientCa: undefined,
  });
  assert.deepEqual(
    serverTlsFromFlags({ tls_cert: "c.pem", tls_key: "k.pem", tls_client_ca: "ca.pem" }),
    { cert: "c.pem", key: "k.pem", clientCa: "ca.pem" },
  );
  const refused: [Parameters<typeof serverTlsFromFlags>[0], string][] = [
    [{ tls_cert: "c.pem" }, "flag -tls_cert needs -tls_key"],
    [{ tls_key: "k.pem" }, "flag -tls_key needs -tls_cert"],
    [
      { tls_client_ca: "ca.pem" },
      "flag -tls_client_ca needs -tls_cert and -tls_key (the server's own)",
    ],
    [{ tls_key: "k.pem", tls_client_ca: "ca.pem" }, "flag -tls_key needs -tls_cert"],
  ];
  for (const [flags, message] of refused) {
    assert.throws(() => serverTlsFromFlags(flags), new FlagError(message), JSON.stringify(flags));
  }
});

Deno.test("tls: client flags: any of them turns TLS on; pairs and names are checked", () => {
  assert.equal(clientTlsFromFlags({ tls: false }), undefined);
  const on = { ca: undefined, cert: undefined, key: undefined, serverName: undefined };
  assert.deepEqual(clientTlsFromFlags({ tls: true }), on);
  assert.deepEqual(clientTlsFromFlags({ tls: false, tls_ca: "ca.pem" }), { ...on, ca: "ca.pem" });
  assert.deepEqual(clientTlsFromFlags({ tls: false, tls_server_name: "chat.example" }), {
    ...on,
    serverName: "chat.example",
  });
  assert.deepEqual(clientTlsFromFlags({ tls: false, tls_cert: "c.pem", tls_key: "k.pem" }), {
    ...on,
    cert: "c.pem",
    key: "k.pem",
  });
  for (const name of ["localhost", "chat.example.org.", "10.0.0.5", "::1", "[::1]", "a_b.local"]) {
    assert.ok(clientTlsFromFlags({ tls: true, tls_server_name: name }), name);
  }
  const refused: [Parameters<typeof clientTlsFromFlags>[0], string][] = [
    [{ tls: true, tls_cert: "c.pem" }, "flag -tls_cert needs -tls_key"],
    [{ tls: false, tls_key: "k.pem" }, "flag -tls_key needs -tls_cert"],
    [
      { tls: true, tls_server_name: "a b" },
      "flag -tls_server_name must be a host name or an IP address, got 'a b'",
    ],
    [
      { tls: true, tls_server_name: "chat.example:443" },
      "flag -tls_server_name must be a host name or an IP address, got 'chat.example:443'",
    ],
  ];
  for (const [flags, message] of refused) {
    assert.throws(() => clientTlsFromFlags(flags), new FlagError(message), JSON.stringify(flags));
  }
});

Deno.test("tls: loopback hosts get no plaintext warning, every other host does", () => {
  const loopback = ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1", "localhost"];
  const reachable = ["0.0.0.0", "::", "10.0.0.5", "::ffff:10.0.0.5", "chat.example", "128.0.0.1"];
  for (const host of [...loopback, "::ffff:127.0.0.1", "LOCALHOST"]) {
    assert.equal(isLoopback(host), true, host);
    assert.equal(plaintextWarning(host), undefined, host);
  }
  for (const host of reachable) {
    assert.equal(isLoopback(host), false, host);
    assert.equal(
      plaintextWarning(host),
      `warning: listening on ${host} without TLS: client keys, tokens and messages travel in ` +
        "clear; give -tls_cert and -tls_key, or -host 127.0.0.1 to serve this machine only",
    );
  }
});

Deno.test("tls: unusable files are refused with the flag, the file and why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat-tls-" });
  const write = async (name: string, text: string) => {
    await Deno.writeTextFile(`${dir}/${name}`, text);
    return `${dir}/${name}`;
  };
  const notPem = await write("notes.txt", "just some text\n");
  const badCert = await write(
    "bad.pem",
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
  );
  const encrypted = await write(
    "enc.key",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
  );
  const twoKeys = await write(
    "two.key",
    (await Deno.readTextFile(fixture("server.key"))) +
      (await Deno.readTextFile(fixture("client.key"))),
  );
  const missing = `${dir}/missing.pem`;
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      "missing certificate",
      () => serverCredentials({ ...SERVER, cert: missing }),
      `-tls_cert ${missing}: cannot read it: there is no such file`,
    ],
    [
      "a directory",
      () => serverCredentials({ ...SERVER, key: dir }),
      `-tls_key ${dir}: cannot read it: it is a directory`,
    ],
    [
      "key given as the certificate",
      () => serverCredentials({ cert: SERVER.key, key: SERVER.key }),
      `-tls_cert ${SERVER.key}: no PEM certificate in it (no "-----BEGIN CERTIFICATE-----" ` +
      "line); it holds a private key",
    ],
    [
      "certificate given as the key",
      () => serverCredentials({ cert: SERVER.cert, key: SERVER.cert }),
      `-tls_key ${SERVER.cert}: no PEM private key in it (no "-----BEGIN ... PRIVATE KEY-----" ` +
      "line); it holds a certificate",
    ],
    [
      "not PEM",
      () => serverCredentials({ ...SERVER, key: notPem }),
      `-tls_key ${notPem}: no PEM private key in it (no "-----BEGIN ... PRIVATE KEY-----" line)`,
    ],
    [
      "another certificate's key",
      () => serverCredentials({ ...SERVER, key: fixture("client.key") }),
      `-tls_key ${fixture("client.key")} is not the private key of the certificate in ` +
      `-tls_cert ${SERVER.cert}`,
    ],
    [
      "expired",
      () => serverCredentials({ ...SERVER, cert: fixture("expired.pem") }),
      `-tls_cert ${fixture("expired.pem")}: the certificate expired on `,
    ],
    [
      "encrypted key",
      () => serverCredentials({ ...SERVER, key: encrypted }),
      `-tls_key ${encrypted}: the private key is encrypted; decrypt it first ` +
      `(openssl pkey -in ${encrypted} -out plain.key)`,
    ],
    [
      "two keys",
      () => serverCredentials({ ...SERVER, key: twoKeys }),
      `-tls_key ${twoKeys}: 2 private keys in it; give a file with one`,
    ],
    [
      "corrupt client CA",
      () => serverCredentials({ ...SERVER, clientCa: badCert }),
      `-tls_client_ca ${badCert}: certificate 1 is not a valid X.509 certificate (`,
    ],
    [
      "client CA not PEM",
      () => channelCredentials("127.0.0.1", { ca: notPem }),
      `-tls_ca ${notPem}: no PEM certificate in it (no "-----BEGIN CERTIFICATE-----" line)`,
    ],
    [
      "client key of another certificate",
      () =>
        channelCredentials("127.0.0.1", {
          cert: fixture("client.pem"),
          key: fixture("other-client.key"),
        }),
      `-tls_key ${fixture("other-client.key")} is not the private key of the certificate in ` +
      `-tls_cert ${fixture("client.pem")}`,
    ],
  ];
  for (const [label, attempt, message] of cases) {
    const error = await attempt().then(() => undefined, (e) => e);
    assert.ok(error instanceof TlsFileError, `${label}: ${error}`);
    if (message.endsWith("(") || message.endsWith(" on ")) {
      assert.ok(error.message.startsWith(message), `${label}: ${error.message}`);
    } else {
      assert.equal(error.message, message, label);
    }
  }
  await Deno.remove(dir, { recursive: true });
});

// A one-method service with raw bytes, to test credentials on real connections.
const ECHO = {
  echo: {
    path: "/test.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes,
  },
} satisfies grpc.ServiceDefinition;
const EchoClient = grpc.makeGenericClientConstructor(ECHO, "Echo");

async function echoServer(credentials: grpc.ServerCredentials): Promise<[grpc.Server, number]> {
  const server = new grpc.Server();
  server.addService(ECHO, {
    echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
      done(null, call.request),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      credentials,
      (error, bound) => error ? reject(error) : resolve(bound),
    )
  );
  return [server, port];
}

/**
 * What grpc-js says when the server ends the handshake: the server's alert or the socket it
 * closed, whichever the client notices first (both are seen from run to run).
 */
const REFUSED_BY_SERVER =
  /^No connection established\. Last error: (received fatal alert: CertificateRequired|Failed to connect|write EPIPE)\b/;

/** "ping" (the echo), or the details of the error the call ended with. */
function echo(target: string, credentials: grpc.ChannelCredentials): Promise<string> {
  const client = new EchoClient(target, credentials);
  return new Promise((resolve) =>
    client.echo(
      Buffer.from("ping"),
      { deadline: Date.now() + 5_000 },
      (error: grpc.ServiceError | null, reply?: Buffer) => {
        client.close();
        resolve(error ? error.details : String(reply));
      },
    )
  );
}

Deno.test("tls: by IP address, the certificate must name that address and come from a trusted CA", async () => {
  const [server, port] = await echoServer(await serverCredentials(SERVER));
  const ca = fixture("ca.pem");
  try {
    assert.equal(
      await echo(`127.0.0.1:${port}`, await channelCredentials("127.0.0.1", { ca })),
      "ping",
    );
    assert.equal(
      await echo(`localhost:${port}`, await channelCredentials("localhost", { ca })),
      "ping",
    );
    assert.equal(
      await echo(
        `127.0.0.1:${port}`,
        await channelCredentials("127.0.0.1", { ca, serverName: "localhost" }),
      ),
      "ping",
      "a name the certificate holds, connecting by IP",
    );
    // The IP check is ours (Deno refuses an IP as SNI): an address the certificate does not
    // name must be refused, like a name it does not hold.
    assert.match(
      await echo(
        `127.0.0.1:${port}`,
        await channelCredentials("127.0.0.1", { ca, serverName: "127.0.0.2" }),
      ),
      /IP: 127\.0\.0\.2 is not in the cert's list: 127\.0\.0\.1, ::1/,
    );
    assert.match(
      await echo(
        `127.0.0.1:${port}`,
        await channelCredentials("127.0.0.1", { ca, serverName: "chat.example" }),
      ),
      /Host: chat\.example\. is not in the cert's altnames: DNS:localhost/,
    );
    assert.match(
      await echo(
        `127.0.0.1:${port}`,
        await channelCredentials("127.0.0.1", { ca: fixture("other-ca.pem") }),
      ),
      /unable to get local issuer certificate/,
      "by IP, the chain is still checked",
    );
  } finally {
    server.forceShutdown();
  }
});

Deno.test("tls: with a client CA, only clients with a certificate it signed get in", async () => {
  const [server, port] = await echoServer(
    await serverCredentials({ ...SERVER, clientCa: fixture("client-ca.pem") }),
  );
  const target = `127.0.0.1:${port}`;
  const ca = fixture("ca.pem");
  try {
    assert.equal(
      await echo(
        target,
        await channelCredentials("127.0.0.1", {
          ca,
          cert: fixture("client.pem"),
          key: fixture("client.key"),
        }),
      ),
      "ping",
    );
    assert.match(
      await echo(target, await channelCredentials("127.0.0.1", { ca })),
      REFUSED_BY_SERVER,
    );
    assert.match(
      await echo(
        target,
        await channelCredentials("127.0.0.1", {
          ca,
          cert: fixture("other-client.pem"),
          key: fixture("other-client.key"),
        }),
      ),
      REFUSED_BY_SERVER,
    );
  } finally {
    server.forceShutdown();
  }
});
