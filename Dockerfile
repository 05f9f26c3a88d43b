# estd container image: build stage compiles with scripts/build.sh (the
# same recipe as scripts/test.sh), runtime stage has only the shared
# libraries, the binary and the SQL files, and runs as a non-root user.
#   docker build -t estd .
#   docker run --rm -e ESTD_DATABASE_URL=postgresql://... -p 8080:8080 estd
# Package lists: scripts/packages/{build,runtime}.txt (also used by scripts/deps.sh).

FROM debian:12-slim AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY scripts/packages/build.txt /tmp/build.txt
COPY scripts/packages/web.txt /tmp/web.txt
# Versions are not pinned: the Debian 12 security updates of the day are wanted.
RUN apt-get update \
 && sed -e 's/#.*//' /tmp/build.txt /tmp/web.txt | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY include ./include
COPY src ./src
COPY sql ./sql
COPY scripts/build.sh ./scripts/build.sh
COPY web ./web
# An extra CA bundle for npm behind a TLS-intercepting proxy (empty: none);
# scripts/container-test.sh mounts the host's bundle and names it here.
ARG NODE_EXTRA_CA_CERTS=
RUN scripts/build.sh --type RelWithDebInfo --prefix /opt/estd --no-tests /src/build \
 && /opt/estd/bin/estd --version

FROM debian:12-slim AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY scripts/packages/runtime.txt /tmp/runtime.txt
# Versions are not pinned: the Debian 12 security updates of the day are wanted.
RUN apt-get update \
 && sed -e 's/#.*//' /tmp/runtime.txt | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime.txt \
 && groupadd --system --gid 10001 estd \
 && useradd --system --uid 10001 --gid estd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin estd
# bin/estd, share/estd/sql and share/estd/web (the defaults of ESTD_SQL_DIR and ESTD_WEB_DIR).
COPY --from=build /opt/estd /opt/estd
ENV PATH=/opt/estd/bin:$PATH \
    ESTD_LISTEN_ADDRESS=0.0.0.0 \
    ESTD_PORT=8080
USER 10001:10001
EXPOSE 8080
# `estd healthcheck` GETs /livez on ESTD_PORT over loopback (no curl in the image).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["estd", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["estd"]
CMD ["serve"]
