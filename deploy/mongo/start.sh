#!/bin/bash
# Starts MongoDB through the official image's entrypoint as a one-node replica set with access
# control, using the credentials deploy/make-secrets.mjs generated into the "mongo-secrets" volume.
# mongod runs as the image's "mongodb" user and refuses a key file others can read, so both files
# are copied to where only that user reads them. On the first start the entrypoint creates the
# "teamhub" user (MONGO_INITDB_ROOT_USERNAME / _PASSWORD_FILE in docker-compose.yml).
set -euo pipefail
install -m 0400 -o mongodb -g mongodb /mongo-secrets/keyfile /tmp/teamhub-mongo-keyfile
install -m 0400 -o mongodb -g mongodb /mongo-secrets/password /tmp/teamhub-mongo-password
exec docker-entrypoint.sh mongod --replSet rs0 --bind_ip_all --keyFile /tmp/teamhub-mongo-keyfile
