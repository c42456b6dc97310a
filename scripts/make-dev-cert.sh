#!/usr/bin/env bash
# A local certificate authority and a server certificate signed by it, for
# wss:// and https:// on your own machine:
#
#   scripts/make-dev-cert.sh DIR     DIR/ca.crt, DIR/server.crt, DIR/server.key
#
# The certificate names localhost, 127.0.0.1 and ::1 (subjectAltName, which is
# all browsers and OpenSSL's host check read). Trust DIR/ca.crt, never
# DIR/ca.key, which stays in DIR: whoever holds it can make certificates your
# browser would believe for any name.
#
# Options, for tests and experiments:
#   --name NAME      a DNS name or IP address to certify instead (repeatable)
#   --expired        a certificate whose validity ended in the past
#   --out BASE       write DIR/BASE.crt and DIR/BASE.key instead of server.*
# An existing DIR/ca.crt and DIR/ca.key are reused, so several certificates
# can share one authority.
set -euo pipefail

usage() {
  echo "usage: scripts/make-dev-cert.sh DIR [--name NAME]... [--expired] [--out BASE]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
dir=$1
shift
names=()
expired=no
base=server
while [ $# -gt 0 ]; do
  case "$1" in
    --name) [ $# -ge 2 ] || usage; names+=("$2"); shift 2 ;;
    --expired) expired=yes; shift ;;
    --out) [ $# -ge 2 ] || usage; base=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=(localhost 127.0.0.1 ::1)
command -v openssl >/dev/null || { echo "make-dev-cert.sh: needs openssl (apt-get install openssl)" >&2; exit 1; }

mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# subjectAltName: IP addresses as IP:, everything else as DNS:.
alt_names=()
for name in "${names[@]}"; do
  if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then alt_names+=("IP:$name"); else alt_names+=("DNS:$name"); fi
done
san=$(IFS=,; echo "${alt_names[*]}")

# P-256 keys: small, fast, and accepted by every TLS 1.2 and 1.3 client.
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [ ! -f "$dir/ca.crt" ] || [ ! -f "$dir/ca.key" ]; then
  new_key "$dir/ca.key"
  chmod 600 "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 825 -out "$dir/ca.crt" \
    -subj "/CN=WebSockets tutorial local development CA $(date +%Y-%m-%d)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

new_key "$dir/$base.key"
chmod 600 "$dir/$base.key"
openssl req -new -key "$dir/$base.key" -subj "/CN=${names[0]}" -out "$work/server.csr" 2>/dev/null

# `openssl ca` rather than `x509 -req`: it alone sets any validity window,
# which is how --expired makes a certificate that ended yesterday.
if [ "$expired" = yes ]; then
  start=$(date -u -d '30 days ago' +%Y%m%d%H%M%SZ 2>/dev/null || date -u -v-30d +%Y%m%d%H%M%SZ)
  end=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ 2>/dev/null || date -u -v-1d +%Y%m%d%H%M%SZ)
else
  start=$(date -u -d '1 hour ago' +%Y%m%d%H%M%SZ 2>/dev/null || date -u -v-1H +%Y%m%d%H%M%SZ)
  end=$(date -u -d '397 days' +%Y%m%d%H%M%SZ 2>/dev/null || date -u -v+397d +%Y%m%d%H%M%SZ)
fi
touch "$work/index.txt"
cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = local
[local]
database = $work/index.txt
new_certs_dir = $work
rand_serial = yes
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = server
[anything]
commonName = supplied
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
EOF
openssl ca -batch -notext -config "$work/ca.cnf" -cert "$dir/ca.crt" -keyfile "$dir/ca.key" \
  -startdate "$start" -enddate "$end" -in "$work/server.csr" -out "$dir/$base.crt" 2>"$work/ca.log" ||
  { cat "$work/ca.log" >&2; exit 1; }

echo "make-dev-cert.sh: $dir/$base.crt for ${names[*]}, signed by $dir/ca.crt" \
     "(valid $start to $end)"
