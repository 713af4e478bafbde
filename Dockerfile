FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends iproute2 nftables python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/patchbay
COPY . .
RUN npm ci && npm run build && npm prune --omit=dev
ENTRYPOINT ["daemon/bin/patchbayd.js"]
