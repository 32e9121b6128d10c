#!/bin/sh
# deploy.sh — build the site, then let edgepurge upload it, purge the edge and prove it.
#
# Copy this file into your repository, next to edgepurge.config.json (or .yaml), and run it:
#
#   sh deploy.sh                    # build, then `edgepurge deploy --json`
#   sh deploy.sh --dry-run          # build, then show what deploy would touch and purge; sends nothing
#   sh deploy.sh --config staging.json --report edgepurge-report.html
#
# Every argument is passed on to `edgepurge deploy`.
#
# The upload is not in this script: it is `hooks.upload` in the config, so edgepurge runs it at
# the one right moment — after it has fixed the validators (given changed files a new mtime)
# and before it purges (purging before the origin has the new bytes re-caches the old ones).
# See examples/deploy.config.yaml; the three usual uploads:
#
#   "upload": "rsync -a --delete public/ deploy@origin.example.com:/srv/www/"
#       -a includes --times: rsync must keep mtimes. nginx, Apache and Express build the ETag
#       from mtime and size, and the mtime edgepurge gives a changed file is what makes the
#       ETag change; without --times the origin's mtimes are the upload time instead.
#   "upload": "aws s3 sync public/ s3://my-bucket --delete"
#       s3 sync skips a same-size file unless its mtime is newer than the object's: the touch
#       is what gets a changed file uploaded (do not add --size-only). Credentials: AWS_*.
#   "upload": "npx wrangler pages deploy public --project-name my-site"
#       Cloudflare Pages; wrangler reads CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID.
#
# Settings (environment variables; the defaults are shown):
#
#   BUILD_CMD="npm run build"        your build; set it to "" to skip building
#   EDGEPURGE="npx --no-install edgepurge"
#                                    how to run edgepurge (split into words, so no quoting)
#   REPORT_JSON=edgepurge-report.json
#                                    where the `--json` result is kept (a CI artifact)
#
# Exit codes, those of edgepurge (see README "deploy.sh"):
#
#   0  deployed and verified (or nothing changed); the baseline was saved
#   1  the deploy failed: the upload hook, a purge, or verification (the edge still serves old
#      bytes); the baseline was NOT saved, so the next run retries the same changes.
#      REPORT_JSON says which URLs and why.
#   2  bad input (flags, config, credentials missing): nothing was uploaded, purged or saved
#   *  anything else (e.g. 127: EDGEPURGE is not a command) is passed through unchanged
#
# Progress goes to stderr as edgepurge prints it; stdout has this script's own few lines.

set -eu

BUILD_CMD=${BUILD_CMD-npm run build}
EDGEPURGE=${EDGEPURGE:-npx --no-install edgepurge}
REPORT_JSON=${REPORT_JSON:-edgepurge-report.json}

say() {
  printf 'deploy.sh: %s\n' "$*"
}

# With --json, edgepurge's stderr counts the stale URLs but does not list them; name them (and
# the error and its hint) from the JSON. Needs node on PATH, as edgepurge does; skipped without.
explain_failure() {
  command -v node >/dev/null 2>&1 || return 0
  # shellcheck disable=SC2016 # ${…} below is JavaScript, not the shell's.
  node -e '
    const result = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const { error, verify } = result;
    if (error) console.log(`  ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ""}`);
    const stale = (verify && verify.stale) || [];
    for (const entry of stale.slice(0, 20)) console.log(`  stale: ${entry.url}: ${entry.reason}`);
    if (stale.length > 20) console.log(`  and ${stale.length - 20} more stale URLs`);
  ' "$REPORT_JSON" 2>/dev/null || true
}

dry_run=false
for arg in "$@"; do
  if [ "$arg" = --dry-run ]; then dry_run=true; fi
done

# Fail before building when the report cannot be kept (a missing folder, no permission).
mkdir -p -- "$(dirname -- "$REPORT_JSON")" 2>/dev/null || true
# (`true`, not `:`: a failed redirection on a special built-in would end the script.)
if ! true 2>/dev/null >"$REPORT_JSON"; then
  say "cannot write REPORT_JSON=$REPORT_JSON; nothing was changed"
  exit 2
fi

# 1. Build. Replace BUILD_CMD (or this block) with your own build.
if [ -n "$BUILD_CMD" ]; then
  say "build: $BUILD_CMD"
  build_status=0
  sh -c "$BUILD_CMD" || build_status=$?
  if [ "$build_status" -ne 0 ]; then
    say "the build failed (exit $build_status); nothing was uploaded or purged"
    exit 1
  fi
fi

# 2. Deploy: scan, fix validators, hooks.upload, purge, verify, save the baseline if verified.
# stdout is the JSON document (kept as the artifact); stderr, the progress, stays on the terminal.
status=0
set -f # split EDGEPURGE into words, but expand no globs in it
# shellcheck disable=SC2086 # EDGEPURGE is a command line: splitting it into words is the point.
$EDGEPURGE deploy --json "$@" >"$REPORT_JSON" || status=$?
set +f

# With --json, edgepurge prints a JSON document even when it fails; none means it never ran
# (command not found, npx could not find the package) or died before it could.
if [ ! -s "$REPORT_JSON" ] && [ "$status" -ne 0 ]; then
  say "edgepurge exited with $status without a result (see the errors above): is EDGEPURGE=\"$EDGEPURGE\" right?"
  exit "$status"
fi

case $status in
  0)
    if [ "$dry_run" = true ]; then
      say "dry run: nothing was uploaded, purged or saved; the plan is in $REPORT_JSON"
    else
      say "deployed and verified: the edge serves the new release; report in $REPORT_JSON"
    fi
    ;;
  1)
    say "the deploy FAILED (upload, purge or verification): the baseline was not saved, so the next run retries these changes"
    explain_failure
    say "what failed and why: $REPORT_JSON"
    ;;
  2)
    say "edgepurge refused its input (see the error above): nothing was changed, uploaded, purged or saved"
    ;;
  *)
    say "edgepurge exited with $status; report (if any) in $REPORT_JSON"
    ;;
esac
exit "$status"
