#!/usr/bin/env bash
# The append-only setup script ravi-orchestrator replaces, in the shape of the example scripts: run once in each
# new worktree, it creates an identity and appends one line per field to .env, one `ravi` call per field.
# (It never cleans up: a re-run appends duplicates, and a removed worktree leaks its identity.)
# The benchmark runs it with `ravi` on PATH = bench/fake-ravi-cli.mjs, and RAVI_VAULT = the vault identity's uuid.
set -euo pipefail

name="ws-$(basename "$PWD")"
uuid="$(ravi identity create --name "$name")"
echo "RAVI_IDENTITY_UUID=$uuid" >> .env
echo "AGENT_EMAIL=$(ravi get email --identity "$uuid")" >> .env
echo "AGENT_PHONE=$(ravi get phone --identity "$uuid")" >> .env
echo "OPENAI_API_KEY=$(ravi secrets get OPENAI_API_KEY --identity "$RAVI_VAULT")" >> .env
