# One image for every teamhub process; the service is chosen by the container's command, e.g.
#   node dist/services/auth/main.js      (auth, session, machine, notify)
#   node dist/gateway/main.js            (gateway, the default)
# The TypeScript is compiled ahead into dist/ (scripts/build.mjs, tsc with tsconfig.build.json,
# then each entry point bundled into one file with esbuild; the same build `make run` uses), so
# the containers start plain node, without compiling every file again at each start as tsx would.
#
# Build arguments; the defaults are what `docker compose build` uses:
#   NODE_IMAGE       the Node 20 base image.
#   INSTALLED_IMAGE  where the production node_modules, the built web page and the compiled hub
#                    come from. By default the Node image, and `npm ci`, the web build and the
#                    hub's build run below. An image that already holds /app/node_modules,
#                    /app/web/dist and /app/dist skips them: the containers test tier passes one
#                    built from the host's own install and build, because npm cannot reach the
#                    registry from inside a container where it runs.
# (A choice between stages by a build argument, `FROM ${ARG}` naming a stage, is not understood
# by podman 4's builder, so each step checks what its base image already has instead.)
ARG NODE_IMAGE=docker.io/library/node:20-bookworm-slim
ARG INSTALLED_IMAGE=${NODE_IMAGE}

FROM ${INSTALLED_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN if [ -d node_modules ]; then echo "deps: node_modules from INSTALLED_IMAGE"; else \
      apt-get update \
      && apt-get install -y --no-install-recommends g++ make python3 \
      && rm -rf /var/lib/apt/lists/* \
      && npm ci --omit=dev --no-audit --no-fund && npm cache clean --force; \
    fi

# The web page (Vite) and the compiled hub (tsc): both need the dev dependencies, which stay in
# this stage; the final image takes only web/dist and dist/ from it.
FROM ${INSTALLED_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN if [ -f web/dist/index.html ] && [ -f dist/.build-stamp ]; then echo "build: web/dist and dist/ from INSTALLED_IMAGE"; else \
      npm ci --ignore-scripts --no-audit --no-fund; \
    fi
COPY web ./web
COPY scripts/build-web.mjs ./scripts/build-web.mjs
RUN [ -f web/dist/index.html ] || node scripts/build-web.mjs --force
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY lib ./lib
COPY services ./services
COPY gateway ./gateway
COPY scripts ./scripts
RUN [ -f dist/.build-stamp ] || node scripts/build.mjs --force --quiet

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    TEAMHUB_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/dist ./dist
# Named volumes copy these directories' ownership on first mount, so the unprivileged user can
# write them. The application files stay owned by root: the services cannot change their own code.
RUN mkdir -p /secrets /data /nats-secrets /mongo-secrets \
 && chown node:node /secrets /data /nats-secrets /mongo-secrets
USER node
CMD ["node", "dist/gateway/main.js"]
