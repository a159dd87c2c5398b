# syntax=docker/dockerfile:1
# Build: docker build -t reportgate .   Run: docker run reportgate serve --help
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/reportgate ./cmd/reportgate

# distroless/static: no shell, no package manager, CA certificates, runs as
# uid 65532 (nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/reportgate /usr/local/bin/reportgate
USER 65532:65532
EXPOSE 8080 9090
# The admin listener must be reachable from inside the container for this
# probe (the default 127.0.0.1:9090 is). Served over TLS (--admin-tls-cert),
# override it: docker run --health-cmd '/usr/local/bin/reportgate health
# --url https://127.0.0.1:9090/healthz --insecure' …
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/reportgate", "health", "--url", "http://127.0.0.1:9090/healthz"]
ENTRYPOINT ["/usr/local/bin/reportgate"]
CMD ["serve"]
