#!/usr/bin/env bash
# Writes the certificates the TLS tests and benchmarks use into DIR (made if missing). Nothing
# here is committed: keys are made fresh by each run, with the openssl CLI.
#   ca.pem ca.key              the test CA that signs everything below except rogue.*
#   ext.pem ext.key            ext.contoso.test, localhost, 127.0.0.1, ::1    (frontend default)
#   int.pem int.key            int.contoso.test, *.int.contoso.test           (chosen by SNI)
#   rotated.pem rotated.key    the same names as ext, a new key and O=Rotated (a reload's cert)
#   pool.pem pool.key          pool.contoso.test, localhost, 127.0.0.1, ::1   (the servers')
#   expiring.pem expiring.key  ext's names, valid for 10 days                 (expiry warning)
#   other-ca.pem, rogue.pem rogue.key  the pool's names, signed by another CA (verify fails)
# Usage: make_test_certs.sh DIR [rsa]   (EC P-256 keys by default; rsa: RSA 2048, as HAProxy
# benchmarks often use)
set -euo pipefail
dir=${1:?usage: make_test_certs.sh DIR [rsa]}
kind=${2:-ec}
mkdir -p "$dir"
cd "$dir"

key() {
  if [[ $kind == rsa ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
  else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  fi
}

# ca NAME SUBJECT
ca() {
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "$2" -days 3650 -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
}

# leaf NAME CA SUBJECT SAN DAYS
leaf() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$3" -out "$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$4" \
    >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days "$5" \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ext_names="DNS:ext.contoso.test,DNS:localhost,IP:127.0.0.1,IP:::1"
pool_names="DNS:pool.contoso.test,DNS:localhost,IP:127.0.0.1,IP:::1"
ca ca "/O=Tether Test/CN=Tether Test CA"
ca other-ca "/O=Somebody Else/CN=Other CA"
leaf ext ca "/O=Tether Test/CN=ext.contoso.test" "$ext_names" 825
leaf int ca "/O=Tether Test/CN=int.contoso.test" "DNS:int.contoso.test,DNS:*.int.contoso.test" 825
leaf rotated ca "/O=Rotated/CN=ext.contoso.test" "$ext_names" 825
leaf pool ca "/O=Tether Test/CN=pool.contoso.test" "$pool_names" 825
leaf expiring ca "/O=Expiring/CN=ext.contoso.test" "$ext_names" 10
leaf rogue other-ca "/O=Rogue/CN=pool.contoso.test" "$pool_names" 825
chmod 600 ./*.key
