# The dcos-patch worker image (docker-compose.yml's `worker` service).
# Debian-based: the Temporal SDK's native bridge needs glibc (Alpine/musl is not supported).
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
USER node
CMD ["npx", "tsx", "src/worker.ts"]
