#!/usr/bin/env bash
# checksrc.sh - curl-style source check: functions estd bans because they
# overflow, lack error reporting, or keep hidden state. Exit 1 on any use.
#   strcpy strcat sprintf vsprintf gets  -> snprintf / est_buf
#   strtok                               -> strtok_r or explicit parsing
#   atoi atol atoll atof                 -> est_parse_int / strtol with checks
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
pattern='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|atof)[[:space:]]*\('
if hits=$(grep -rnE "$pattern" src include --include='*.c' --include='*.h' | grep -vE '\b(snprintf|vsnprintf|strtok_r)\b' | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)'); then
  echo "checksrc: banned functions used:"; echo "$hits"; exit 1
fi
echo "checksrc: ok"
