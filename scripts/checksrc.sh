#!/usr/bin/env bash
# checksrc.sh - curl-style source check: functions estd bans because they
# overflow, lack error reporting, or keep hidden state. Exit 1 on any use.
#   strcpy strcat strncpy strncat         -> snprintf / est_buf (strncpy need not
#   sprintf vsprintf gets                    terminate; strncat's bound is easy to get wrong)
#   strtok                               -> strtok_r or explicit parsing
#   atoi atol atoll atof                 -> est_parse_int / strtol with checks
# Every line is checked (a line that also calls snprintf is no excuse); only
# comment lines are skipped. The word boundary keeps snprintf, vsnprintf and
# strtok_r themselves from matching.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
pattern='\b(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|atof)[[:space:]]*\('
if hits=$(grep -rnE "$pattern" src include --include='*.c' --include='*.h' | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)'); then
  echo "checksrc: banned functions used:"; echo "$hits"; exit 1
fi
echo "checksrc: ok"
