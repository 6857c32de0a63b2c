#!/usr/bin/env python3
"""A chat client written with Python's grpcio, not with our TypeScript code.

It checks that a client made by other people from chat.proto alone can use the
server: it generates its stubs from the repository's chat.proto at run time
(`python3 -m grpc_tools.protoc`, into a temporary directory, so nothing
generated is kept), then, against a server on a fresh database:

  stubs        the stubs were generated and imported
  register     two new devices, Pyalice and Pybob: each claims its handle
  subscribe    Pybob opens Subscribe (first frame `open`); the server's headers say it is live
  send         Pyalice sends to `general` with a client_msg_id
  retry        the same Send again: the same seq, `duplicate` true
  receive      Pybob gets it: group, through_seq, seq, sender id/name/handle, text
  ack          Pybob acks `through_seq` (cumulative)
  send2        Pyalice sends a second message
  receive2     Pybob gets it next: seq + 1, so the retry was never delivered
  ack2         Pybob acks it
  cursor       Pybob resumes (Register with id and key): cursor at the last seq, 0 unread
  not_member   a Send to a group closed to Pyalice (--closed-group) is PERMISSION_DENIED
  unknown      a Send to a group that does not exist is NOT_FOUND, with details
  bad_key      a Send with a wrong x-client-key is UNAUTHENTICATED
  close        Pybob half-closes Subscribe; the server ends it with OK, having sent no more

Each step prints one JSON line {"step": ..., ...} on stdout when it holds. On any
mismatch it prints {"step": ..., "error": ...} and exits 1; 2 for bad usage or
missing modules; 3 if the whole run takes longer than --timeout seconds.

Usage: python3 tests/python/chat_client.py --port PORT [--host 127.0.0.1]
       [--proto chat.proto] [--closed-group NAME]
"""

import argparse
import faulthandler
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import types
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROTO = os.path.normpath(os.path.join(HERE, "..", "..", "chat.proto"))
INSTALL = "apt-get install -y python3-grpcio python3-grpc-tools python3-pkg-resources"
RPC_TIMEOUT = 5.0


class Mismatch(Exception):
    """A check that did not hold: the step and what was wrong."""

    def __init__(self, step, message):
        super().__init__(message)
        self.step = step


def emit(step, **fields):
    print(json.dumps(dict(step=step, **fields), sort_keys=True), flush=True)


def check(step, condition, message):
    if not condition:
        raise Mismatch(step, message)


def generate_stubs(proto, out_dir):
    """Runs protoc on `proto` into `out_dir` and imports what it made."""
    proto_dir, proto_file = os.path.split(proto)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I" + proto_dir,
            "--python_out=" + out_dir,
            "--grpc_python_out=" + out_dir,
            proto_file,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        universal_newlines=True,
    )
    if result.returncode != 0:
        raise Mismatch(
            "stubs", "protoc failed (exit %d): %s" % (result.returncode, result.stdout.strip())
        )
    sys.path.insert(0, out_dir)
    import chat_pb2  # noqa: E402 (generated just now)
    import chat_pb2_grpc  # noqa: E402

    return chat_pb2, chat_pb2_grpc


def auth(who):
    """The identity metadata of every call after Register (chat.proto)."""
    return (("x-client-id", who.client_id), ("x-client-key", who.key))


def general(reply, step):
    found = [g for g in reply.groups if g.name == "general"]
    names = [g.name for g in reply.groups]
    check(step, len(found) == 1, "Register's groups lack general: %s" % names)
    return found[0]


def refusal(grpc, step, call):
    """Runs `call`, which must fail; returns (code name, details)."""
    try:
        call()
    except grpc.RpcError as error:
        return error.code().name, error.details() or ""
    raise Mismatch(step, "the call succeeded; a refusal was expected")


class Subscription:
    """A Subscribe stream: frames written through a queue, deliveries read by a thread."""

    def __init__(self, stub, pb, who):
        self._pb = pb
        self._outgoing = queue.Queue()
        self.incoming = queue.Queue()
        self._outgoing.put(pb.SubscribeFrame(open=pb.Open()))
        self.call = stub.Subscribe(self._frames(), metadata=auth(who))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _frames(self):
        while True:
            frame = self._outgoing.get()
            if frame is None:
                return  # half-close: the client's goodbye
            yield frame

    def _read(self):
        try:
            for delivery in self.call:
                self.incoming.put(delivery)
        except Exception as error:  # grpc.RpcError: the status, read by close()
            self.incoming.put(error)
        self.incoming.put(None)

    def ack(self, group, seq):
        self._outgoing.put(self._pb.SubscribeFrame(ack=self._pb.Ack(group=group, seq=seq)))

    def next_messages(self, step, timeout=RPC_TIMEOUT):
        """The next Delivery that carries messages (event frames are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            check(step, left > 0, "no delivery within %.0f s" % timeout)
            try:
                item = self.incoming.get(timeout=left)
            except queue.Empty:
                raise Mismatch(step, "no delivery within %.0f s" % timeout)
            if item is None:  # code() waits for the end: only asked once it came
                status = (self.call.code(), self.call.details())
                raise Mismatch(step, "the stream ended: %s %s" % status)
            check(step, not isinstance(item, Exception), "the stream failed: %s" % item)
            if item.through_seq == 0 and not item.messages:
                continue  # a room event frame: nothing to ack
            return item

    def close(self, step):
        self._outgoing.put(None)
        self._reader.join(RPC_TIMEOUT)
        ended = not self._reader.is_alive()
        check(step, ended, "the stream did not end within %.0f s" % RPC_TIMEOUT)
        # Nothing more came: no message was delivered twice, late.
        while True:
            item = self.incoming.get_nowait()
            if item is None:
                break
            if not isinstance(item, Exception):
                check(step, not item.messages, "delivered after all was acked: %s" % item)
        return self.call.code().name, self.call.details() or ""


def run(args):
    try:
        import grpc
    except ImportError as error:
        print("chat_client.py: %s; install: %s" % (error, INSTALL), file=sys.stderr)
        return 2
    try:
        import grpc_tools.protoc  # noqa: F401 (run as a module below; it needs pkg_resources)
    except ImportError as error:
        print("chat_client.py: %s; install: %s" % (error, INSTALL), file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="chat-py-stubs-") as out_dir:
        pb, pb_grpc = generate_stubs(args.proto, out_dir)
        emit("stubs", grpc=grpc.__version__, proto=os.path.basename(args.proto))

        channel = grpc.insecure_channel("%s:%d" % (args.host, args.port))
        try:
            grpc.channel_ready_future(channel).result(timeout=10)
            return session(grpc, pb, pb_grpc.ChatStub(channel), args)
        finally:
            channel.close()


def session(grpc, pb, stub, args):
    def register(name):
        reply = stub.Register(pb.RegisterRequest(name=name), timeout=RPC_TIMEOUT)
        step = "register"
        check(step, reply.client_id and reply.key, "%s: no client_id or key" % name)
        check(step, not reply.resumed, "%s: a new device was 'resumed'" % name)
        check(step, reply.server_id, "%s: no server_id" % name)
        check(step, reply.name == name, "%s: registered as %r" % (name, reply.name))
        check(step, reply.handle == name.lower(), "%s: handle %r, guest_reason %r"
              % (name, reply.handle, reply.guest_reason))
        check(step, general(reply, step).member, "%s is not a member of general" % name)
        emit(step, name=reply.name, handle=reply.handle, guest=not reply.handle,
             server_id=reply.server_id)
        return reply

    alice = register("Pyalice")
    bob = register("Pybob")
    check("register", alice.client_id != bob.client_id, "two devices got one client_id")
    check("register", alice.server_id == bob.server_id, "two server ids from one server")

    subscription = Subscription(stub, pb, bob)
    # The server sends its headers once `open` is taken: the subscription is live.
    subscription.call.initial_metadata()
    emit("subscribe", name="Pybob")

    text = "hello from grpcio, ünïcode ✓"
    msg_id = str(uuid.uuid4())
    request = pb.SendRequest(group="general", text=text, client_msg_id=msg_id)
    sent = stub.Send(request, metadata=auth(alice), timeout=RPC_TIMEOUT)
    check("send", sent.seq > 0 and not sent.duplicate, "Send answered %s" % sent)
    check("send", sent.sent_at_ms > 0, "no sent_at_ms")
    emit("send", group="general", seq=sent.seq, duplicate=sent.duplicate)

    again = stub.Send(request, metadata=auth(alice), timeout=RPC_TIMEOUT)
    check("retry", again.duplicate, "a retry with the same client_msg_id is new: %s" % again)
    check("retry", again.seq == sent.seq,
          "the retry got seq %d, the original %d" % (again.seq, sent.seq))
    check("retry", again.sent_at_ms == sent.sent_at_ms, "the retry got another sent_at_ms")
    emit("retry", seq=again.seq, duplicate=again.duplicate)

    def receive(step, seq, text):
        delivery = subscription.next_messages(step)
        check(step, delivery.group == "general", "group %r" % delivery.group)
        check(step, delivery.through_seq == seq,
              "through_seq %d, expected %d" % (delivery.through_seq, seq))
        check(step, len(delivery.messages) == 1,
              "%d messages in the frame: %s" % (len(delivery.messages), delivery))
        m = delivery.messages[0]
        check(step, m.seq == seq, "seq %d, expected %d" % (m.seq, seq))
        check(step, m.sender_id == alice.client_id, "sender_id %r" % m.sender_id)
        check(step, m.sender_name == "Pyalice", "sender_name %r" % m.sender_name)
        check(step, m.sender_handle == "pyalice", "sender_handle %r" % m.sender_handle)
        check(step, m.text == text, "text %r" % m.text)
        check(step, m.sent_at_ms > 0, "no sent_at_ms")
        emit(step, group=delivery.group, through_seq=delivery.through_seq, seq=m.seq,
             sender_name=m.sender_name, sender_handle=m.sender_handle, text=m.text)
        return delivery

    first = receive("receive", sent.seq, text)
    check("receive", first.messages[0].sent_at_ms == sent.sent_at_ms,
          "sent_at_ms differs from Send's")
    subscription.ack(first.group, first.through_seq)
    emit("ack", group=first.group, seq=first.through_seq)

    text2 = "second, after the retry"
    sent2 = stub.Send(pb.SendRequest(group="general", text=text2, client_msg_id=str(uuid.uuid4())),
                      metadata=auth(alice), timeout=RPC_TIMEOUT)
    check("send2", sent2.seq == sent.seq + 1 and not sent2.duplicate, "Send answered %s" % sent2)
    emit("send2", group="general", seq=sent2.seq, duplicate=sent2.duplicate)
    # Messages of a group come in sequence order: had the retry been delivered, it would come first.
    second = receive("receive2", sent2.seq, text2)
    subscription.ack(second.group, second.through_seq)
    emit("ack2", group=second.group, seq=second.through_seq)

    # Acks are stored in the background: ask until the cursor moved.
    deadline = time.monotonic() + RPC_TIMEOUT
    while True:
        resume = pb.RegisterRequest(name="Pybob", client_id=bob.client_id, key=bob.key)
        resumed = stub.Register(resume, timeout=RPC_TIMEOUT)
        check("cursor", resumed.resumed, "resuming Pybob did not say resumed")
        check("cursor", resumed.client_id == bob.client_id, "resuming Pybob gave another client_id")
        g = general(resumed, "cursor")
        if g.cursor == sent2.seq or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    check("cursor", g.cursor == sent2.seq, "cursor %d after acking %d" % (g.cursor, sent2.seq))
    check("cursor", g.last_seq == sent2.seq, "last_seq %d, expected %d" % (g.last_seq, sent2.seq))
    check("cursor", g.unread == 0, "%d unread after acking everything" % g.unread)
    emit("cursor", name="Pybob", resumed=resumed.resumed, cursor=g.cursor, last_seq=g.last_seq,
         unread=g.unread)

    def send_to(group, who=alice):
        return stub.Send(pb.SendRequest(group=group, text="x", client_msg_id=str(uuid.uuid4())),
                         metadata=auth(who), timeout=RPC_TIMEOUT)

    if args.closed_group:
        code, details = refusal(grpc, "not_member", lambda: send_to(args.closed_group))
        check("not_member", code == "PERMISSION_DENIED", "%s: %s" % (code, details))
        check("not_member", "not a member" in details, "details %r" % details)
        emit("not_member", group=args.closed_group, code=code, details=details)

    code, details = refusal(grpc, "unknown", lambda: send_to("no-such-group"))
    check("unknown", code == "NOT_FOUND", "%s: %s" % (code, details))
    check("unknown", "no-such-group" in details, "details %r do not name the group" % details)
    emit("unknown", group="no-such-group", code=code, details=details)

    impostor = types.SimpleNamespace(client_id=alice.client_id, key="not-" + alice.key)
    code, details = refusal(grpc, "bad_key", lambda: send_to("general", impostor))
    check("bad_key", code == "UNAUTHENTICATED", "%s: %s" % (code, details))
    emit("bad_key", code=code, details=details)

    code, details = subscription.close("close")
    check("close", code == "OK", "the stream ended with %s: %s" % (code, details))
    emit("close", code=code)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--proto", default=DEFAULT_PROTO)
    parser.add_argument("--closed-group", default="", help="a group closed to Pyalice")
    parser.add_argument("--timeout", type=float, default=60, help="seconds for the whole run")
    args = parser.parse_args()

    def too_slow():
        emit("timeout", error="the run took longer than %.0f s" % args.timeout)
        faulthandler.dump_traceback(file=sys.stderr)
        os._exit(3)

    watchdog = threading.Timer(args.timeout, too_slow)
    watchdog.daemon = True
    watchdog.start()
    try:
        code = run(args)
    except Mismatch as error:
        emit(error.step, error=str(error))
        code = 1
    except Exception as error:  # an unexpected refusal or failure: say which
        details = getattr(error, "details", None)
        if callable(details):
            emit("error", error="%s: %s" % (error.code().name, details()))
        else:
            emit("error", error="%s: %s" % (type(error).__name__, error))
        code = 1
    watchdog.cancel()
    sys.exit(code)


if __name__ == "__main__":
    main()
