# Lorekeeper server image: docker build -t lorekeeper . && docker run -p 8080:8080 -v lorekeeper-data:/data lorekeeper
FROM swift:6.3-bookworm AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        libopenblas-dev libsqlite3-dev libssl-dev pkg-config python3 python3-pip >/dev/null \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
COPY Tests Tests
COPY scripts scripts
COPY models/README.md models/
RUN swift build -c release --product lorekeeper \
    && ./scripts/fetch-model.sh

FROM swift:6.3-bookworm-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        libopenblas0 libsqlite3-0 libssl3 >/dev/null \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/.build/release/lorekeeper /usr/local/bin/lorekeeper
COPY --from=build /src/models /models
EXPOSE 8080
VOLUME /data
ENTRYPOINT ["lorekeeper", "serve", "--host", "0.0.0.0", "--model", "/models/SmolLM2-135M-Instruct.Q4_1.gguf", "--data-dir", "/data"]
