# Palisade's container image: a static binary, the CA certificates, nothing else.
#
#   podman build -t palisade .            (or docker build)
#
# No shell, no package manager, no libc: the final stage is `scratch` with the statically linked
# binary (.cargo/config.toml), runs as a numeric non-root user and needs no writable file system
# (readOnlyRootFilesystem: true). Offline, or from a binary you built yourself, use
# Containerfile.local (see the README, "Container image"). linux/amd64: the build targets
# x86_64-unknown-linux-gnu (.cargo/config.toml).

ARG RUST_IMAGE=docker.io/library/rust:1.95-bookworm

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
# `--locked`: the image is built from exactly the dependencies in Cargo.lock.
RUN cargo build --release --locked -p palisade \
 && cp target/x86_64-unknown-linux-gnu/release/palisade /palisade \
 && /palisade --version

FROM scratch
# Trust roots for any TLS connection made without a configured CA (the cluster's own CA comes
# from the kubeconfig or the in-cluster service account).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /palisade /palisade
# 65532: the conventional "nonroot" UID/GID of distroless images; deploy/ runs it as the same.
USER 65532:65532
ENTRYPOINT ["/palisade"]
CMD ["--help"]
