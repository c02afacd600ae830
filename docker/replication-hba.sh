#!/bin/sh
# Run by the postgres image when it initialises its volume: lets the compose replica
# (postgres-replica, --profile replica) connect for streaming replication with the password.
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
