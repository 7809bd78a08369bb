#!/usr/bin/env bash
# deps.sh: install what building and testing dakera_shard needs, on a Debian 12
# machine that may have nothing.  Idempotent: installs only what is missing.
set -euo pipefail

# the server and its headers; the C toolchain with ASan/UBSan; clang's libFuzzer
# (make fuzz); valgrind (make valgrind); IPC::Run for the TAP tests
# (PostgreSQL::Test::Cluster); what PostgreSQL 17 and 18 need to be built from
# source, and Citus (test/pg_build.sh)
packages=(postgresql-15 postgresql-server-dev-15 make gcc libc6-dev libasan8 libubsan1
	clang-14 libclang-rt-14-dev valgrind libipc-run-perl
	bison flex libreadline-dev zlib1g-dev pkg-config bzip2 patch
	liblz4-dev libzstd-dev libkrb5-dev)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root; install these packages first: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# the server package's post-install must not create and start a main cluster:
# tests start the clusters they need
mkdir -p /etc/postgresql-common
if ! grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
	echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
