#!/bin/sh
# Picks the site and its certificate issuer, then runs Caddy (deploy/proxy/Caddyfile):
# - RNN_GRADER_DOMAIN empty: the site is `localhost`, certificates from Caddy's local CA (`tls internal`);
# - RNN_GRADER_DOMAIN set: the site is that name, certificates from ACME (Let's Encrypt by default);
# and where HTTP redirects to: the port of RNN_GRADER_HTTPS_PUBLISH as the browser sees it (none for 443).
set -eu
if [ -n "${RNN_GRADER_DOMAIN:-}" ]; then
    RNN_GRADER_SITE="$RNN_GRADER_DOMAIN"
    RNN_GRADER_TLS=acme
else
    RNN_GRADER_SITE=localhost
    RNN_GRADER_TLS=internal
fi
port="${RNN_GRADER_HTTPS_PUBLISH:-443}"
port="${port##*:}"
if [ "$port" = 443 ]; then
    RNN_GRADER_HTTPS_PORT_SUFFIX=""
else
    RNN_GRADER_HTTPS_PORT_SUFFIX=":$port"
fi
: "${RNN_GRADER_PROXY_MAX_BODY:=2113536}"
export RNN_GRADER_SITE RNN_GRADER_TLS RNN_GRADER_HTTPS_PORT_SUFFIX RNN_GRADER_PROXY_MAX_BODY
exec caddy run --config /etc/caddy/Caddyfile --adapter caddyfile
