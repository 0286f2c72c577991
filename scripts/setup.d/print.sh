# shellcheck shell=bash
# Printing tests start their own cupsd (own config dir, a free port, a
# file-backed queue); the packages come from scripts/deps/print.apt. This
# only checks the pieces those tests rely on. Sourced by scripts/test;
# idempotent.
for need in /usr/sbin/cupsd /usr/lib/cups/filter/gziptoany; do
  if [ ! -e "$need" ]; then
    log "printing: $need missing (cups-core-drivers, pulled in by cups in scripts/deps/print.apt)"
  fi
done
for tool in lpadmin lp pdftoppm; do
  command -v "$tool" >/dev/null 2>&1 || log "printing: $tool missing (scripts/deps/print.apt)"
done
