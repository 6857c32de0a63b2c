# grpc-chat on the pinned Deno 2.9.3 (2.9.4 to 2.9.6 crash grpc-js servers).
#
#   docker build -t chat . && docker run --rm chat        # runs every test case (deno task test)
#   docker run --rm -p 50051:50051 chat task server -port 50051              # the server
#   docker inspect --format '{{.State.Health.Status}}' CONTAINER              # its HEALTHCHECK
#   docker run --rm -it --network host chat task client -name Luis -server_ip 127.0.0.1 -port 50051
#   docker run --rm -p 50051:50051 chat task server -port 50051 -db postgres://chat@pg:5432/chat
#                                        # a node of several on one PostgreSQL (README, "Several nodes")
#
# The base image's entrypoint runs `deno` for a deno subcommand such as `task`. The server's
# database is /app/chat.db unless -db points elsewhere (e.g. into a mounted volume).
FROM denoland/deno:2.9.3

WORKDIR /app
# The tests include a client written by others than us: Python's grpcio (Debian's packages, as
# on the machines CI runs on); tmux, the pseudo-terminal in which the full-screen client's
# tests drive it (tests/tmux.ts); and PostgreSQL 15, whose server binaries the tests run as
# private clusters (tests/postgres.ts: initdb in a temp dir, as user deno, removed afterwards).
# The server and client need none of it, and the image's server stays on SQLite. The package
# is told not to make its default cluster (/var/lib/postgresql/15/main): nothing is configured
# or runs in the image but what a test starts.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
  && echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/no-main-cluster.conf \
  && apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    python3-grpcio python3-grpc-tools python3-pkg-resources tmux postgresql \
  && rm -rf /var/lib/apt/lists/*
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

# Docker's health check asks the server's standard gRPC health service (grpc.health.v1): the
# admin command exits 0 when it answers SERVING, 1 otherwise (starting, draining, storage lost,
# unreachable), and needs no operator secret. Docker runs it as it is, not through the
# entrypoint, hence `deno`; `deno task` needs no network, the packages being installed above.
# It expects the server on port 50051 without TLS: for another -port, or TLS, give
# `--health-cmd "deno task -q admin health -port PORT [-tls_ca FILE]"` to `docker run`, and
# `--no-healthcheck` to containers that run a client or the tests.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["deno", "task", "-q", "admin", "health", "-port", "50051"]

CMD ["deno", "task", "test"]
