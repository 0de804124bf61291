#!/bin/bash
# Foreground throwaway OpenSSH server (SFTP via internal-sftp + exec, so legacy `scp -t/-f` works too).
# Usage: sshd-run.sh STATE_DIR [PORT=2222]
# Root only (sshd must switch to sftpuser). Creates the test user sftpuser/sftppass when missing, and in
# STATE_DIR: host key, client_key (+ .pub, authorized_keys), data/ (writable by sftpuser). exec -> PID == sshd.
set -euo pipefail
S=$1; PORT=${2:-2222}
HERE=$(cd "$(dirname "$0")" && pwd)
id sftpuser >/dev/null 2>&1 || { useradd -M -d /tmp -s /bin/bash sftpuser && echo 'sftpuser:sftppass' | chpasswd; }
mkdir -p "$S/data" /run/sshd && chmod 755 "$S" /run/sshd && chown sftpuser: "$S/data"
[ -f "$S/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$S/ssh_host_ed25519_key"
[ -f "$S/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C etl-test -f "$S/client_key"
cp "$S/client_key.pub" "$S/authorized_keys" && chmod 644 "$S/authorized_keys"
# Absolute path is mandatory (sshd re-execs itself); -D foreground, -e log to stderr.
exec /usr/sbin/sshd -D -e -f "$HERE/sshd_config" -p "$PORT" \
  -o HostKey="$S/ssh_host_ed25519_key" -o AuthorizedKeysFile="$S/authorized_keys" -o PidFile="$S/sshd.pid"
