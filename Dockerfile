# syntax=docker/dockerfile:1
# One image build, three targets: the ekm worker, the codec server and the ekm CLI (docs/deploy.md).
#   docker build --target worker --build-arg EKM_BUILD_ID=0.1.0-$(git rev-parse --short HEAD) -t ekm-worker .
# Debian (glibc), never Alpine: the Temporal core bridge has no musl build.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts off: `prepare` would build before the sources are here; nothing the runtime needs installs by script.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The product only (no tests, sandbox rehearsal or bench in the image), then the workflow bundle the
# worker loads instead of running webpack at every start, from this very build.
RUN npm run build \
 && rm -rf dist/test dist/bench dist/sandbox \
 && node dist/worker/workflowBundle.js dist/workflow-bundle.js \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# The build id Worker Versioning gives this image's workers (docs/deploy.md#upgrades).
ARG EKM_BUILD_ID
ENV EKM_BUILD_ID=${EKM_BUILD_ID} \
    NODE_ENV=production
WORKDIR /app
# Owned by root, run as `node` (uid 1000): the process cannot rewrite its own code.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER node

FROM runtime AS worker
ENV EKM_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
# Health on 8080 (GET /healthz), metrics on 9464, when the configuration's telemetry section enables them.
EXPOSE 8080 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/client/cli.js", "worker"]

FROM runtime AS codec-server
EXPOSE 8081
# Any HTTP answer means it serves (GET / is a 404 by design: only POST /encode and /decode exist).
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8081/').then(() => process.exit(0), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/client/cli.js", "codec-server", "--port", "8081"]

FROM runtime AS cli
HEALTHCHECK NONE
ENTRYPOINT ["node", "dist/client/cli.js"]
CMD ["--help"]
