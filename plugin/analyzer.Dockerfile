# The analyzer image: `aviary analyze --watch` (deploy/analyzer/). Build from the repository root:
#   docker build -f plugin/analyzer.Dockerfile -t aviary-analyzer .
# The same CLI as the plugin image, plus the git executable it commits and pushes with. No
# start-up snapshot: the analyzer is one long-running process, not a process per call.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY policies/package.json policies/tsconfig.json policies/
COPY plugin/package.json plugin/tsconfig.json plugin/
COPY webhook/package.json webhook/tsconfig.json webhook/
RUN npm ci --no-audit --no-fund
COPY policies policies
COPY plugin plugin
RUN npx tsc -b policies plugin && npx tsx plugin/tools/build-snapshot.ts

FROM node:24-bookworm-slim
# git for the clone, the commits and the pushes; ssh for git@ remotes (GIT_SSH_COMMAND).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /opt/aviary
COPY --from=build /src/policies/package.json node_modules/@aviary/policies/package.json
COPY --from=build /src/policies/trust node_modules/@aviary/policies/trust
COPY --from=build /src/plugin/dist/snapshot/aviary.cjs plugin/dist/snapshot/aviary.cjs
COPY plugin/bin/git-askpass.sh plugin/bin/git-askpass.sh
# deploy/analyzer runs as this user with a read-only root filesystem; the clone lives in /work.
USER 65532
ENTRYPOINT ["node", "/opt/aviary/plugin/dist/snapshot/aviary.cjs"]
