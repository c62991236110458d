#!/usr/bin/env bash
# Installs the system packages flowlog's tests need, only those missing (Debian/Ubuntu, as root or via sudo):
#   Java 17+ and Maven (the real Kafka broker is resolved from Maven Central and run on the JVM),
#   systemd-journal-remote and journalctl (real journal files for the journald source),
#   build tools for better-sqlite3 (compiled from source by npm when no prebuilt binary is reachable).
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v journalctl >/dev/null 2>&1 || need+=(systemd)
[ -x /lib/systemd/systemd-journal-remote ] || [ -x /usr/lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -eq 0 ]; then
  echo "system deps: all present"
  exit 0
fi
echo "system deps: installing ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
