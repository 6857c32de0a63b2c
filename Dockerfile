# grpc-chat on the pinned Deno 2.9.3 (2.9.4 to 2.9.6 crash grpc-js servers).
#
#   docker build -t chat . && docker run --rm chat        # runs every test case (deno task test)
#   docker run --rm -p 50051:50051 chat task server -port 50051              # the server
#   docker run --rm -it --network host chat task client -name Luis -server_ip 127.0.0.1 -port 50051
#
# The base image's entrypoint runs `deno` for a deno subcommand such as `task`. The server's
# database is /app/chat.db unless -db points elsewhere (e.g. into a mounted volume).
FROM denoland/deno:2.9.3

WORKDIR /app
# User deno (made by the base image, without a home) owns /app, for the server's default
# database; /data, for a volume holding it (-db /data/chat.db); and /home/deno, for the
# client's default state dir (~/.local/state/grpc-chat).
RUN mkdir -p /home/deno /data && chown deno:deno /app /home/deno /data
USER deno

# npm packages go into DENO_DIR (/deno-dir/) at build time; --frozen fails the build when
# deno.lock is stale. Dependencies first, so that a code change reuses this layer.
COPY --chown=deno:deno deno.json deno.lock ./
RUN deno install --frozen
COPY --chown=deno:deno . .
RUN deno install --frozen --entrypoint $(find . -name '*.ts')

CMD ["deno", "task", "test"]
