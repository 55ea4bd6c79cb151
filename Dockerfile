# syntax=docker/dockerfile:1
# The AIDA host with every plugin package of this repository and the `da` CLI.
#
#   docker build -t aida .
#   docker run -p 8000:8000 -v aida-data:/data aida          # the demo instance
#   docker run -p 8000:8000 -v aida-data:/data -v ./config:/config:ro aida   # config/instance.yaml
#
# BASE_IMAGE: any Debian-based image with Node 20 and npm in /usr/local (a closed network passes
# its own mirror of node:20-bookworm-slim). Behind a TLS-inspecting proxy, pass the proxy's CA
# bundle to the `npm ci` step as a build secret (not stored in any layer):
#   docker build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt -t aida .
# See docs/deploy.md.
ARG BASE_IMAGE=node:20-bookworm-slim

# Only the workspaces' package.json files, so the `npm ci` layer below is reused until a
# dependency changes, not whenever a source file does.
FROM ${BASE_IMAGE} AS manifests
COPY packages/ /src/packages/
COPY examples/ /src/examples/
RUN find /src/packages /src/examples -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

FROM ${BASE_IMAGE} AS build
WORKDIR /src
ENV CI=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
COPY --from=manifests /src/ ./
# --ignore-scripts: nothing here needs an install script (DuckDB's and argon2's binaries are
# prebuilt packages); the optional isolated-vm would need a compiler the slim image lacks.
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts
COPY lerna.json tsconfig.json tsconfig.base.json ./
COPY packages/ packages/
COPY examples/ examples/
RUN npx tsc -b
# Production dependencies only, and only what runs: no sources, source maps, build info or examples.
RUN npm prune --omit=dev --ignore-scripts \
 && rm -rf examples packages/*/src packages/*/tsconfig*.json packages/*/*.tsbuildinfo tsconfig*.json lerna.json \
 && find packages -name '*.map' -delete \
 && find node_modules -maxdepth 2 -type l ! -exec test -e {} \; -delete \
 && rm -rf /root/.npm

FROM ${BASE_IMAGE}
ENV NODE_ENV=production \
    AIDA_DATA_DIR=/data \
    AIDA_CONFIG=/config/instance.yaml \
    AIDA_LOG_FORMAT=json \
    PORT=8000
# A fixed uid (not 1000, which node images give their own `node` user) so volumes and bind
# mounts can be prepared for it: chown 10001:10001.
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin aida \
 && mkdir -p /data /config \
 && chown aida:aida /data
# Owned by root: the running host cannot change its own code.
COPY --from=build /src /app
RUN ln -s /app/packages/host/bin/aida.js /usr/local/bin/aida \
 && ln -s /app/packages/cli/bin/da.js /usr/local/bin/da
# Plugins are resolved from the working directory: an image FROM this one adds some with
# `npm install --omit=dev <package>` here (docs/deploy.md).
WORKDIR /app
USER aida
EXPOSE 8000
VOLUME /data
# Node's own fetch: slim images have no curl. 200 while healthy or degraded, 503 when unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/api/health').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
# The host is PID 1 itself (the aida script execs node): it handles SIGTERM and SIGINT, stopping
# jobs and closing the databases before it exits, and starts no child processes to reap.
STOPSIGNAL SIGTERM
CMD ["aida", "serve"]
