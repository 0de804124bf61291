#!/bin/bash
# Foreground throwaway vsftpd. Usage: vsftpd-run.sh STATE_DIR [PORT=2121] [PASV_MIN=30000] [PASV_MAX=30009] [TLS=0|1|implicit]
# Root only (vsftpd authenticates the system user ftpuser/ftppass via PAM; created here when missing).
# Files land in STATE_DIR/root. With TLS=1 (explicit FTPS, AUTH TLS) or TLS=implicit (TLS from the first byte)
# the certificate is STATE_DIR/cert.pem (SAN IP:127.0.0.1).
# `exec` at the end: the PID of this script becomes the PID of vsftpd -> kill PID to stop.
set -euo pipefail
S=$1; PORT=${2:-2121}; PMIN=${3:-30000}; PMAX=${4:-30009}; TLS=${5:-0}
HERE=$(cd "$(dirname "$0")" && pwd)
id ftpuser >/dev/null 2>&1 || { useradd -M -d /tmp -s /bin/bash ftpuser && echo 'ftpuser:ftppass' | chpasswd; }
mkdir -p "$S/root" /var/run/vsftpd/empty && chmod 755 "$S" && chown ftpuser: "$S/root"   # mktemp dirs are 0700: ftpuser must traverse
ARGS=(-olisten_port=$PORT -opasv_min_port=$PMIN -opasv_max_port=$PMAX -olocal_root=$S/root -ovsftpd_log_file=$S/vsftpd.log)
if [ "$TLS" = 1 ] || [ "$TLS" = implicit ]; then
  # Kept across restarts of the same state folder, so a client that trusts it still does.
  [ -f "$S/cert.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "$S/key.pem" -out "$S/cert.pem" 2>/dev/null
  chmod 600 "$S/key.pem"
  ARGS+=(-ossl_enable=YES -orsa_cert_file=$S/cert.pem -orsa_private_key_file=$S/key.pem
         -oforce_local_logins_ssl=YES -oforce_local_data_ssl=YES -orequire_ssl_reuse=NO -ossl_ciphers=HIGH)
  if [ "$TLS" = implicit ]; then ARGS+=(-oimplicit_ssl=YES); fi
fi
exec /usr/sbin/vsftpd "$HERE/vsftpd.conf" "${ARGS[@]}"
