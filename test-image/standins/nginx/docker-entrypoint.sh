#!/bin/sh
# Stand-in for the official nginx image's /docker-entrypoint.sh (written for the image tests, not
# copied): when the command is nginx, run the executable /docker-entrypoint.d/*.sh in order, then
# exec the command, so nginx is the process that receives the stop signal.
set -e
if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
  for f in /docker-entrypoint.d/*.sh; do
    [ -x "$f" ] || continue
    echo "$0: running $f"
    "$f"
  done
fi
exec "$@"
