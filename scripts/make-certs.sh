#!/bin/sh
# make-certs.sh — a private certificate authority for ecs, with openssl only.
#
# Usage:
#   scripts/make-certs.sh demo DIR          everything the demo stack and the
#                                           end-to-end tests need (idempotent)
#   scripts/make-certs.sh init DIR          the CA alone (ca.key, ca.crt, crl.pem)
#   scripts/make-certs.sh server DIR NAME SAN...
#                                           a server certificate NAME.crt/.key,
#                                           SANs as DNS:host or IP:addr
#   scripts/make-certs.sh client DIR NAME   a client certificate NAME.crt/.key
#                                           (CN=NAME) for TLS client auth
#   scripts/make-certs.sh revoke DIR NAME   revoke NAME.crt and rewrite crl.pem
#   scripts/make-certs.sh crl DIR           rewrite crl.pem (run it before the
#                                           CRL's nextUpdate, ECS_CRL_DAYS)
#
# `demo` makes, in DIR:
#   ca.crt ca.key            the private CA (signs the server and client certs)
#   server.crt server.key    SANs $ECS_SERVER_SANS (default: api.ecs.test,
#                            docs.ecs.test, localhost, 127.0.0.1)
#   client.crt client.key    a valid client certificate (CN=ecs-demo-client)
#   revoked.crt revoked.key  a client certificate of the same CA, revoked
#   crl.pem                  the CA's CRL listing revoked.crt
#   other-ca.crt other-ca.key, other-client.crt other-client.key
#                            a second CA and a client certificate it signed,
#                            which nginx must refuse
#
# Environment: ECS_CA_SUBJECT (default "/O=ecs/CN=ecs private CA"),
# ECS_SERVER_SANS, ECS_CERT_DAYS (825), ECS_CA_DAYS (3650), ECS_CRL_DAYS (30).
# Keys are ECDSA P-256 (Mozilla's recommendation), mode 0600.
# Existing files are never overwritten: delete DIR to start again.
set -eu

CA_SUBJECT=${ECS_CA_SUBJECT:-/O=ecs/CN=ecs private CA}
SERVER_SANS=${ECS_SERVER_SANS:-DNS:api.ecs.test DNS:docs.ecs.test DNS:localhost IP:127.0.0.1}
CERT_DAYS=${ECS_CERT_DAYS:-825}
CA_DAYS=${ECS_CA_DAYS:-3650}
CRL_DAYS=${ECS_CRL_DAYS:-30}

die() { echo "make-certs: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

newkey() { # newkey FILE
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$1" 2>/dev/null)
}

# The openssl ca configuration: a database is what makes revocation and CRLs
# possible, so every certificate is signed through `openssl ca`.
write_cnf() { # write_cnf DIR PREFIX
    cat >"$1/$2.cnf" <<EOF
[ca]
default_ca = ecs_ca
[ecs_ca]
dir = \$ENV::ECS_CA_DIR
database = \$dir/$2.index.txt
serial = \$dir/$2.serial
crlnumber = \$dir/$2.crlnumber
new_certs_dir = \$dir/$2.newcerts
certificate = \$dir/$2.crt
private_key = \$dir/$2.key
default_md = sha256
default_days = $CERT_DAYS
default_crl_days = $CRL_DAYS
policy = policy_any
unique_subject = no
preserve = yes
copy_extensions = none
[policy_any]
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[v3_ca]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = \${ENV::ECS_SAN}
[client_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
}

init_ca() { # init_ca DIR PREFIX SUBJECT
    dir=$1 p=$2
    [ -s "$dir/$p.crt" ] && return 0
    mkdir -p "$dir/$p.newcerts"
    write_cnf "$dir" "$p"
    : >"$dir/$p.index.txt"
    echo 1000 >"$dir/$p.serial"
    echo 1000 >"$dir/$p.crlnumber"
    newkey "$dir/$p.key"
    ECS_SAN=none openssl req -new -x509 -config "$dir/$p.cnf" -extensions v3_ca \
        -key "$dir/$p.key" -subj "$3" -days "$CA_DAYS" -out "$dir/$p.crt"
    make_crl "$dir" "$p"
}

sign() { # sign DIR CA-PREFIX NAME EXT SUBJECT SAN
    dir=$1 p=$2 name=$3
    [ -s "$dir/$name.crt" ] && return 0
    [ -s "$dir/$name.key" ] || newkey "$dir/$name.key"
    ECS_SAN=${6:-none} openssl req -new -config "$dir/$p.cnf" -key "$dir/$name.key" \
        -subj "$5" -out "$dir/$name.csr"
    ECS_SAN=${6:-none} openssl ca -batch -notext -config "$dir/$p.cnf" -extensions "$4" \
        -in "$dir/$name.csr" -out "$dir/$name.crt" 2>"$dir/$name.log" \
        || { cat "$dir/$name.log" >&2; die "signing $name failed"; }
    rm -f "$dir/$name.csr" "$dir/$name.log"
}

make_crl() { # make_crl DIR PREFIX
    ECS_SAN=none openssl ca -gencrl -config "$1/$2.cnf" -out "$1/crl.pem.new" 2>/dev/null \
        || die "CRL generation failed"
    mv "$1/crl.pem.new" "$1/$( [ "$2" = ca ] && echo crl || echo "$2.crl").pem"
}

revoke() { # revoke DIR NAME — once: the index marks a revoked serial with R
    serial=$(openssl x509 -in "$1/$2.crt" -noout -serial | cut -d= -f2)
    if ! awk -F'\t' -v s="$serial" '$1 == "R" && $4 == s { found = 1 } END { exit !found }' \
            "$1/ca.index.txt"; then
        ECS_SAN=none openssl ca -config "$1/ca.cnf" -revoke "$1/$2.crt" 2>/dev/null \
            || die "revoking $2 failed"
    fi
}

sans() { # "DNS:a IP:b" -> "DNS:a,IP:b"
    echo "$*" | tr -s ' ' ',' | sed 's/^,//; s/,$//'
}

cmd=${1:-}
[ $# -ge 2 ] || usage
dir=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 0755 "$dir"
# The configurations name their directory through the environment, not by its
# path: a copy of DIR (a fleet's nodes, bench/swarm.sh) is then a CA of its own,
# and never writes the original's database or CRL number.
export ECS_CA_DIR="$dir"

case $cmd in
init)
    init_ca "$dir" ca "$CA_SUBJECT" ;;
server)
    [ $# -ge 4 ] || usage
    init_ca "$dir" ca "$CA_SUBJECT"
    name=$3; shift 3
    sign "$dir" ca "$name" server_ext "/CN=${1#*:}" "$(sans "$@")" ;;
client)
    [ $# -eq 3 ] || usage
    init_ca "$dir" ca "$CA_SUBJECT"
    sign "$dir" ca "$3" client_ext "/O=ecs clients/CN=$3" ;;
revoke)
    [ $# -eq 3 ] || usage
    [ -s "$dir/$3.crt" ] || die "no $dir/$3.crt"
    revoke "$dir" "$3"
    make_crl "$dir" ca ;;
crl)
    make_crl "$dir" ca ;;
demo)
    init_ca "$dir" ca "$CA_SUBJECT"
    first=${SERVER_SANS%% *}
    # shellcheck disable=SC2086 # SANs are a space-separated list on purpose
    sign "$dir" ca server server_ext "/CN=${first#*:}" "$(sans $SERVER_SANS)"
    sign "$dir" ca client client_ext "/O=ecs clients/CN=ecs-demo-client"
    sign "$dir" ca revoked client_ext "/O=ecs clients/CN=ecs-revoked-client"
    revoke "$dir" revoked
    make_crl "$dir" ca
    init_ca "$dir" other-ca "/O=somebody else/CN=another CA"
    sign "$dir" other-ca other-client client_ext "/O=somebody else/CN=ecs-demo-client" ;;
*)
    usage ;;
esac
