# One image for every teamhub process; the service is chosen by the container's command, e.g.
#   node --import tsx services/auth/main.ts      (auth, session, machine)
#   node --import tsx gateway/main.ts            (gateway, the default)
# TypeScript runs directly through tsx; there is no build step.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The web page (Vite, dev dependencies only), served by the gateway from web/dist.
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY web ./web
COPY scripts/build-web.mjs ./scripts/build-web.mjs
RUN node scripts/build-web.mjs --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    TEAMHUB_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
COPY --from=web /app/web/dist ./web/dist
# Named volumes copy these directories' ownership on first mount, so the unprivileged user can write.
RUN mkdir -p /secrets /data && chown node:node /secrets /data
USER node
CMD ["node", "--import", "tsx", "gateway/main.ts"]
