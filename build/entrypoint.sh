#!/bin/sh
# Container entrypoint: refuse to start without the settings a deployment needs, then exec the service.
set -eu

missing=""
if [ -z "${ALLOWED_ORIGIN:-}" ]; then
  missing="ALLOWED_ORIGIN"
fi
if [ -z "${REDIS_ADDR:-}" ]; then
  missing="${missing:+$missing and }REDIS_ADDR"
fi

if [ -n "$missing" ]; then
  cat >&2 <<USAGE
ditochat: missing required environment: $missing

Run the image with both variables set, for example:

  docker run -e ALLOWED_ORIGIN=https://chat.example.com -e REDIS_ADDR=redis:6379 -p 8080:8080 IMAGE

  ALLOWED_ORIGIN  origins allowed for /ws and CORS: comma-separated exact origins, or *
  REDIS_ADDR      Redis endpoint shared by every replica: host:port or a StackExchange.Redis configuration string

Optional: PORT (8080), HISTORY_SIZE, MAX_MESSAGE_BYTES, RATE_LIMIT_PER_SECOND, MAX_CONNECTIONS.
USAGE
  exit 64
fi

if [ "$#" -eq 0 ]; then
  set -- dotnet DitoChat.WebApi.dll
fi

# exec so the service is PID 1 and receives SIGTERM directly (graceful 1001 close).
exec "$@"
