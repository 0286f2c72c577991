# shellcheck shell=bash
# Shared set-up for scripts/demo, scripts/test and scripts/bench. Idempotent:
# installs only what is missing, starts only what is not running.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Builds live outside the clone so a fresh clone reuses them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiosk-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log() { printf '\n== %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# System packages every part needs, plus each area's list in scripts/deps/*.apt.
setup_system() {
  local pkgs=(build-essential pkg-config ca-certificates git curl)
  for f in "$ROOT"/scripts/deps/*.apt; do
    [ -e "$f" ] || continue
    while read -r p _; do
      case "$p" in ''|'#'*) ;; *) pkgs+=("$p") ;; esac
    done <"$f"
  done
  apt_install "${pkgs[@]}"
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    log "no Rust toolchain: installing Debian's (needs Rust 1.89 or newer)"
    apt_install cargo rustc
  fi
}

setup_nextest() {
  command -v cargo-nextest >/dev/null 2>&1 && return 0
  log "installing cargo-nextest from crates.io"
  cargo install cargo-nextest --locked
}

# PostgreSQL for the server's store suite: 127.0.0.1:5432, trust auth,
# user root, database test. Installed and started where missing.
setup_postgres() {
  if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
    :
  else
    apt_install postgresql postgresql-client
    local ver
    ver=$(ls /etc/postgresql | sort -V | tail -n1)
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
      log "starting PostgreSQL $ver"
      as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || as_root pg_ctlcluster "$ver" main start
    fi
    for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
  # Role and database for the tests (no-ops when present).
  if ! psql -h 127.0.0.1 -U root -d test -c 'select 1' >/dev/null 2>&1; then
    log "creating PostgreSQL role root and database test"
    as_root su postgres -c "psql -q -c \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='root') THEN CREATE ROLE root SUPERUSER LOGIN; END IF; END\\\$\\\$;\"" || true
    as_root su postgres -c "createdb -O root test" 2>/dev/null || true
    local hba
    hba=$(as_root su postgres -c "psql -tAc 'show hba_file'")
    if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
      as_root su postgres -c "psql -q -c 'select pg_reload_conf()'" >/dev/null
    fi
  fi
  export KIOSK_TEST_PG_URL="${KIOSK_TEST_PG_URL:-postgres://root@127.0.0.1:5432/test}"
}

# The UI: npm packages from the lock file, then the bundle the desktop app
# embeds (ui/dist). Rebuilt only when the sources are newer than the bundle.
setup_ui() {
  command -v node >/dev/null 2>&1 || apt_install nodejs npm
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "Node $major is too old for the UI build (20 or newer is needed)" >&2
    exit 1
  fi
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    log "installing the UI's npm packages"
    (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -f ui/dist/index.html ] || [ -n "$(find ui/src ui/index.html ui/vite.config.* ui/package.json -newer ui/dist/index.html 2>/dev/null | head -n1)" ]; then
    log "building the UI"
    (cd ui && npm run -s build)
  fi
}

# The centre console's pages (console/), built before kiosk-server, which
# embeds console/dist.
setup_console() {
  if [ ! -d console/node_modules ] || [ console/package-lock.json -nt console/node_modules/.package-lock.json ]; then
    log "installing the console's npm packages"
    (cd console && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -f console/dist/index.html ] || [ -n "$(find console/src console/index.html console/vite.config.* console/package.json -newer console/dist/index.html 2>/dev/null | head -n1)" ]; then
    log "building the console"
    (cd console && npm run -s build)
  fi
}

# tauri-driver (pinned: its patch releases have broken CI before).
setup_tauri_driver() {
  if ! command -v tauri-driver >/dev/null 2>&1 || ! tauri-driver --help 2>/dev/null | head -n1 | grep -q .; then
    log "installing tauri-driver 2.1.0 from crates.io"
    cargo install tauri-driver --locked --version 2.1.0
  fi
}
