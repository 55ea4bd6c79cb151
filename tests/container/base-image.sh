#!/usr/bin/env bash
# Builds a local stand-in for node:20-bookworm-slim where no registry image can be pulled: a
# minimal Debian root filesystem (debootstrap --variant=minbase bookworm) with this machine's
# Node 20 and npm laid out as the official image has them (/usr/local/bin, /usr/local/lib/node_modules),
# imported with `podman import`. Built once and cached outside the repo; prints the image name.
set -euo pipefail
cache="${AIDA_BASE_CACHE:-/var/tmp/aida-base}"
node_bin="$(readlink -f "$(command -v node)")"
node_version="$("$node_bin" --version)"
image="localhost/aida-base:bookworm-node${node_version#v}"
podman=(podman ${PODMAN_ARGS:-})
if "${podman[@]}" image exists "$image"; then echo "$image"; exit 0; fi
case "$node_version" in v20.*) ;; *) echo "base-image: this machine's node is $node_version; the image needs Node 20" >&2; exit 1 ;; esac
mkdir -p "$cache"
rootfs_tar="$cache/bookworm-minbase.tar"
if [ ! -s "$rootfs_tar" ]; then
  work="$(mktemp -d "$cache/rootfs.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  echo "base-image: debootstrap --variant=minbase bookworm (once; cached in $rootfs_tar)" >&2
  debootstrap --variant=minbase bookworm "$work/root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  # apt's lists and caches are not needed in an image.
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  tar -C "$work/root" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$work"
  trap - EXIT
fi
stage="$(mktemp -d "$cache/node.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
mkdir -p "$root"
tar -C "$root" -xf "$rootfs_tar"
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules"
cp "$node_bin" "$root/usr/local/bin/node"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
tar -C "$root" -cf "$stage/image.tar" .
"${podman[@]}" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["node"]' \
  "$stage/image.tar" "$image" >/dev/null
echo "$image"
