#!/usr/bin/env bash
# The append-only setup script ravi-orchestrator replaces, in the shape of the example scripts: run once in each
# new worktree, it creates an identity, makes it the machine's current one (`ravi identity use`) and appends one
# line per field to .env, one `ravi` call per field. Two of them at once read each other's identity (the stock CLI
# has one current identity per machine); a re-run appends duplicates; a removed worktree leaks its identity.
# The benchmark runs it with `ravi` on PATH = bench/fake-ravi-cli.mjs, and RAVI_VAULT = the vault identity's uuid.
set -euo pipefail

name="ws-$(basename "$PWD")"
uuid="$(ravi identity create --name "$name")"
ravi identity use "$uuid"
echo "RAVI_IDENTITY_UUID=$uuid" >> .env
echo "AGENT_EMAIL=$(ravi get email)" >> .env
echo "AGENT_PHONE=$(ravi get phone)" >> .env
echo "OPENAI_API_KEY=$(ravi secrets get OPENAI_API_KEY --identity "$RAVI_VAULT")" >> .env
