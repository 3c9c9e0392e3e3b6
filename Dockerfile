# supportgate on the official Node.js 24 image; runs as the unprivileged `node` user.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Sources are not here yet, so skip `prepare` (the build) for now; the bundled Node 24 of the
# `node` dev dependency is not needed in the image either.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY config ./config
RUN npx tsc -p tsconfig.build.json

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies have no install scripts (@node-rs/argon2 ships its binary as a package).
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY config ./config
RUN mkdir -p /data && chown node:node /data
ENV DATA_DIR=/data PORT=3000
# One gateway process per container: containers scale by replicas, and Node counts the host's
# cores, not the container's CPU limit. Raise it for a container that owns several cores.
ENV WEB_CONCURRENCY=1
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/supportgate.js", "serve"]
