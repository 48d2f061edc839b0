# clawbot in a container: `docker-compose up -d` (see docker-compose.yml).
#
# The build stage runs scripts/setup.sh, the same script CI and the README
# use, so the image is built by steps the tests prove. The runtime stage holds
# only the binary and the shared libraries it links (ldd build/clawbot).

FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN scripts/setup.sh && strip --strip-debug build/clawbot

FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsqlite3-0 libssl3 libutf8proc2 libhiredis0.14 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid, so that a bind-mounted host directory can be given to it:
# mkdir -p logs && chown 10001:10001 logs
RUN groupadd --system --gid 10001 clawbot \
 && useradd --system --uid 10001 --gid clawbot --no-create-home \
      --home-dir /var/lib/clawbot --shell /usr/sbin/nologin clawbot \
 && install -d -o clawbot -g clawbot -m 0750 /var/lib/clawbot /var/log/clawbot \
 && install -d -m 0755 /models
COPY --from=build /src/build/clawbot /usr/local/bin/clawbot

# Configuration comes from environment variables (the same names as the
# config file keys and flags): MODEL_PATH or PROVIDER=openai with
# UPSTREAM_URL, UPSTREAM_MODEL and API_KEY.
ENV HOST=0.0.0.0 \
    PORT=18789 \
    DATA_DIR=/var/lib/clawbot \
    LOG_FILE=/var/log/clawbot/clawbot.log \
    LANG=C.UTF-8
VOLUME ["/var/lib/clawbot", "/var/log/clawbot"]
EXPOSE 18789
USER clawbot

# bash's /dev/tcp speaks to /healthz, so the image needs no HTTP client.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-18789} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# `serve` listens on 0.0.0.0, which needs an access token: on the first start
# (empty data volume) one is created and printed once to the container log
# (docker-compose logs clawbot). A log directory the service user cannot write
# (a bind mount not chowned to 10001) falls back to logging on stderr.
# Other subcommands run as given: docker-compose run --rm clawbot token list
ENTRYPOINT ["/bin/sh", "-c", "set -e; if [ \"$1\" = serve ]; then if ! clawbot token list | grep -qw active; then clawbot token create --name admin --admin; fi; if [ -n \"${LOG_FILE:-}\" ] && [ ! -w \"${LOG_FILE%/*}\" ]; then echo \"clawbot: ${LOG_FILE%/*} is not writable by uid $(id -u); logging to stderr\" >&2; unset LOG_FILE; fi; fi; exec clawbot \"$@\"", "clawbot"]
CMD ["serve"]
