# The dcos-patch worker image (docker-compose.yml's `worker` service).
# Debian-based: the Temporal SDK's native bridge needs glibc (Alpine/musl is not supported).

# Build: compile src/ and prebuild the workflow bundle (the worker polls within seconds).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js ./scripts/
COPY src ./src
RUN npm run build

# Run: production dependencies and the compiled code only, as a non-root user.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production DCOS_PATCH_METRICS_ADDRESS=0.0.0.0:9464
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
EXPOSE 9464
# Healthy while the worker serves its metrics (the endpoint lives and dies with the worker).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/metrics').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/worker.js"]
