# One image for the five tiers (and the admission webhook); docker-compose.yml and deploy/k8s pick the
# tier by command: node dist/apps/<tier>/src/main.js
# Node.js 26 LTS (active until 2029-04); CI runs the whole suite on Node 24 LTS and on 26.

# --- build: full dependencies, compile TypeScript to dist/ --------------------------------------------
FROM node:26-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY libs ./libs
COPY apps ./apps
COPY scripts ./scripts
COPY tools ./tools
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: compiled code, production dependencies, the .proto contracts ----------------------------
FROM node:26-slim AS runtime
ENV NODE_ENV=production \
    BIND_HOST=0.0.0.0 \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
USER node
# The gateway by default; every other service sets its own command.
EXPOSE 3000 50051 50052 50053 50054 8081 8082 8083 8084 8443
CMD ["node", "dist/apps/gateway/src/main.js"]
