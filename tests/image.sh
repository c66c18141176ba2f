#!/usr/bin/env bash
# The container image works: built from Containerfile.local with podman, exported, and its
# entrypoint run as the image's non-root user on a read-only root file system, scanning a
# read-only bind-mounted directory of manifests.
#
#   tests/image.sh [BINARY]      BINARY: a static palisade (default: the release build)
#
# `podman run` is not available everywhere (rootless or nested containers refuse setrlimit), so the
# image is exported to a directory and its entrypoint started there with unshare (a private mount
# namespace) and chroot --userspec, which is what a runtime does minus cgroups.
# Exits 0 with "SKIP: …" when podman, root or unshare/chroot are missing; any other failure exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "SKIP: image test: $*"; exit 0; }
fail() { echo "FAIL: image test: $*" >&2; exit 1; }

bin=${1:-target/x86_64-unknown-linux-gnu/release/palisade}
[ -x "$bin" ] || fail "no binary at $bin (cargo build --release)"

# Static: nothing for the dynamic loader to do (a static PIE says "statically linked"). Checked
# before anything is skipped: it needs only ldd.
if command -v ldd >/dev/null; then
  case "$(ldd "$bin" 2>&1 || true)" in
    *"not a dynamic executable"*|*"statically linked"*) ;;
    *) fail "$bin is dynamically linked: $(ldd "$bin" 2>&1 | head -3)" ;;
  esac
fi

command -v podman >/dev/null || skip "podman not installed (apt-get install podman)"
[ "$(id -u)" = 0 ] || skip "needs root (unshare --mount, chroot)"
command -v unshare >/dev/null && command -v chroot >/dev/null || skip "unshare/chroot missing"

work=$(mktemp -d)
tag="localhost/palisade:image-test-$$"
cid=""
cleanup() {
  [ -n "$cid" ] && podman rm -f "$cid" >/dev/null 2>&1 || true
  podman rmi -f "$tag" >/dev/null 2>&1 || true
  # Unmounts happened in the private namespace; nothing is mounted here.
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/context"
cp "$bin" "$work/context/palisade"
cp /etc/ssl/certs/ca-certificates.crt "$work/context/ca-certificates.crt"
podman build -q -f Containerfile.local -t "$tag" "$work/context" >/dev/null \
  || fail "podman build failed"

user=$(podman image inspect "$tag" --format '{{.Config.User}}')
[ "$user" = "65532:65532" ] || fail "image user is '$user', want 65532:65532"
entry=$(podman image inspect "$tag" --format '{{json .Config.Entrypoint}}')
[ "$entry" = '["/palisade"]' ] || fail "entrypoint is $entry"

cid=$(podman create "$tag")
mkdir "$work/root"
podman export "$cid" | tar -x -C "$work/root"

# Exactly the binary and the CA bundle (podman adds empty mount points for /etc/hosts and the
# like, and /proc /sys /dev /run directories): no shell, no package manager.
files=$(cd "$work/root" && find . -type f -o -type l | sort | tr '\n' ' ')
case "$files" in
  "./etc/ssl/certs/ca-certificates.crt ./palisade "|"./etc/hostname ./etc/hosts ./etc/resolv.conf ./etc/ssl/certs/ca-certificates.crt ./palisade ") ;;
  *) fail "unexpected files in the image: $files" ;;
esac
[ ! -e "$work/root/bin/sh" ] || fail "the image has a shell"
grep -q "BEGIN CERTIFICATE" "$work/root/etc/ssl/certs/ca-certificates.crt" || fail "no CA certificates"

# Manifests to scan, outside the image, bind-mounted read-only as a runtime mounts a volume;
# /etc/hosts as the kubelet mounts it, with a name only it knows.
mkdir -p "$work/root/scan" "$work/root/etc"
touch "$work/root/etc/hosts"
printf '127.0.0.1 localhost\n127.0.0.1 api.palisade-image-test\n' > "$work/hosts"

run() { # run EXPECTED_EXIT OUTPUT_FILE ARGS… — the entrypoint as UID/GID 65532, root read-only
  local want=$1 out=$2; shift 2
  local got=0
  unshare --mount --fork -- sh -c '
      set -e
      root=$1 examples=$2 hosts=$3; shift 3
      mount --make-rprivate /
      mount --bind "$root" "$root"
      mount -o remount,bind,ro "$root"
      mount --bind "$examples" "$root/scan"
      mount -o remount,bind,ro "$root/scan"
      mount --bind -o ro "$hosts" "$root/etc/hosts"
      exec chroot --userspec=65532:65532 "$root" /palisade "$@"
    ' sh "$work/root" "$PWD/examples" "$work/hosts" "$@" >"$out" 2>"$out.err" || got=$?
  [ "$got" = "$want" ] || fail "palisade $* exited $got, want $want: $(head -c 2000 "$out.err") $(head -c 1000 "$out")"
}

run 0 "$work/version" --version
grep -q '^palisade ' "$work/version" || fail "--version printed: $(cat "$work/version")"

run 1 "$work/insecure.json" scan /scan/insecure-app --format json --no-config
grep -q '"code": "PS101"' "$work/insecure.json" || fail "no PS101 in the insecure app's scan"

run 0 "$work/hardened.txt" scan /scan/hardened-app --no-config

# Writing is refused by the read-only root, and palisade says so instead of crashing.
run 2 "$work/fix.txt" fix /scan/insecure-app --no-config
grep -qi "read-only\|cannot" "$work/fix.txt.err" || fail "fix on a read-only mount: $(cat "$work/fix.txt.err")"

# Name resolution inside the image (static glibc, no NSS modules on disk): a name only
# /etc/hosts knows resolves; port 9 (discard) on loopback is closed or open, never an error.
run 0 "$work/probe.json" probe api.palisade-image-test --ports 9 --format json --no-config
grep -q '"errors": \[\]' "$work/probe.json" || fail "probe by host name: $(cat "$work/probe.json.err")"

# DNS too (the kubelet mounts /etc/resolv.conf; in-cluster config names kubernetes.default.svc):
# in a network namespace of its own, a stub server on 127.0.0.1:53 answers, and a name no
# /etc/hosts knows resolves through it.
if command -v python3 >/dev/null && command -v ip >/dev/null; then
  printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' > "$work/resolv.conf"
  touch "$work/root/etc/resolv.conf"
  got=0
  unshare --net --mount --fork -- sh -c '
      set -e
      root=$1 resolv=$2 stub=$3 ready=$4
      ip link set lo up
      python3 "$stub" "$ready" & stub_pid=$!
      for _ in $(seq 50); do [ -s "$ready" ] && break; sleep 0.1; done
      mount --make-rprivate /
      mount --bind "$root" "$root"
      mount -o remount,bind,ro "$root"
      mount --bind -o ro "$resolv" "$root/etc/resolv.conf"
      code=0
      chroot --userspec=65532:65532 "$root" /palisade probe api.dns-only.palisade-test \
        --ports 9 --format json --no-config || code=$?
      kill "$stub_pid"
      exit "$code"
    ' sh "$work/root" "$work/resolv.conf" "$PWD/tests/dns_stub.py" "$work/ready" \
    >"$work/dns.json" 2>"$work/dns.err" || got=$?
  [ "$got" = 0 ] || fail "probe by DNS name exited $got: $(cat "$work/dns.err")"
  grep -q '"errors": \[\]' "$work/dns.json" || fail "probe by DNS name: $(cat "$work/dns.err")"
else
  echo "note: python3 or ip missing: the DNS lookup inside the image is not checked"
fi

echo "image test passed: $(du -h "$bin" | cut -f1) binary, user $user, entrypoint $entry"
