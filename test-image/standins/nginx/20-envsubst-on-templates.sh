#!/bin/sh
# Stand-in for the official image's template step: /etc/nginx/templates/NAME.template ->
# /etc/nginx/conf.d/NAME, substituting only the variables set in the environment (the others,
# such as nginx's own $host, stay as written).
set -e
dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
out=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
[ -d "$dir" ] || exit 0
vars=$(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
for template in "$dir"/*"$suffix"; do
  [ -f "$template" ] || continue
  name=$(basename "$template" "$suffix")
  echo "$0: $template -> $out/$name"
  envsubst "$vars" < "$template" > "$out/$name"
done
