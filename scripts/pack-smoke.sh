#!/usr/bin/env bash
# shellcheck disable=SC2016 # the single-quoted scripts are JavaScript, run by node -e
# `npm run pack-smoke`: edgepurge as a user gets it. Packs the package exactly as `npm publish`
# would (prepack builds dist/), installs the tarball into an empty folder, and there runs
# `npx edgepurge --version`, `--help`, `manifest` and `plan` on a small generated site, imports
# the library and type-checks a consumer against its .d.ts. Each run uses the project's Node 24,
# then Node 22 (the oldest `engines` allows) when one is found:
#   EDGEPURGE_NODE22=/path/to/node   use that binary;
#   otherwise a node 22 on PATH (node22, node) or in the usual version managers' and GitHub
#   runners' folders (/opt/hostedtoolcache, nvm, volta, n);
#   EDGEPURGE_NODE22=fetch           install the `node@22` npm package into the temp folder.
# Without one, the Node 22 pass is skipped with a note. The system Node 20 is never used: it is
# below `engines`. Needs the npm registry (the tarball's dependencies are installed from it).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$PATH"

say() { printf 'pack-smoke: %s\n' "$*"; }
fail() {
  printf 'pack-smoke: FAILED: %s\n' "$*" >&2
  exit 1
}

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

node24=$(command -v node)
[ "$(major "$node24")" -ge 24 ] || fail "$node24 is Node $(major "$node24"); run npm ci first"
version=$(node -p 'require("./package.json").version')

work=$(mktemp -d "${TMPDIR:-/tmp}/edgepurge-pack-smoke.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

say "npm pack (prepack runs the build)"
npm pack --silent --pack-destination "$work" >/dev/null
tarball="$work/edgepurge-$version.tgz"
[ -f "$tarball" ] || fail "npm pack did not write $tarball"
listing=$(tar -tzf "$tarball")
for must in package/dist/cli.js package/dist/index.js package/dist/index.d.ts; do
  grep -qx "$must" <<<"$listing" || fail "the tarball lacks ${must#package/}"
done
if grep -q '^package/src/\|^package/dist/action.js$' <<<"$listing"; then
  fail "the tarball ships src/ or dist/action.js; check \"files\" in package.json"
fi
say "$(basename "$tarball"): $(wc -l <<<"$listing") files, $(du -k "$tarball" | cut -f1) KiB"

app="$work/app"
mkdir -p "$app/public/about" "$app/public/assets"
printf '{ "name": "pack-smoke-app", "private": true, "type": "module" }\n' >"$app/package.json"
say "npm install the tarball into an empty folder"
(cd "$app" && npm install --no-audit --no-fund --loglevel=error "$tarball" >/dev/null)

# A small site and a config that plans for Cloudflare (a plan needs no token and sends nothing).
printf '<h1>home</h1>\n' >"$app/public/index.html"
printf '<h1>about</h1>\n' >"$app/public/about/index.html"
printf 'console.log("app");\n' >"$app/public/assets/app.js"
# Past the scanner's main-thread caps (256 files): the hash workers must start from the bundle.
mkdir -p "$app/many"
for i in $(seq 1 300); do printf 'file %s\n' "$i" >"$app/many/f$i.txt"; done
cat >"$app/edgepurge.config.json" <<'JSON'
{
  "dir": "public",
  "baseUrl": "https://www.example.com",
  "baseline": ".edgepurge/baseline.json",
  "providers": [
    { "type": "cloudflare", "zoneId": "0123456789abcdef0123456789abcdef", "plan": "free" }
  ]
}
JSON
cat >"$app/use-library.mjs" <<'JS'
import { diffManifests, scanDir } from 'edgepurge';
const manifest = await scanDir('public');
const diff = diffManifests({ ...manifest, files: {} }, manifest);
if (diff.added.length !== 3) throw new Error(`the library diff adds ${diff.added}`);
JS
cat >"$app/use-types.ts" <<'TS'
import { type Manifest, scanDir } from 'edgepurge';
const manifest: Manifest = await scanDir('public');
// @ts-expect-error scanDir takes a path, so the types are real (not `any`).
await scanDir(42);
console.log(manifest.version);
TS
cat >"$app/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "target": "es2022", "module": "nodenext", "moduleResolution": "nodenext", "strict": true,
    "noEmit": true, "skipLibCheck": false,
    "typeRoots": ["$ROOT/node_modules/@types"], "types": ["node"]
  },
  "files": ["use-types.ts"]
}
JSON

# Runs the installed package with the Node in $1 first on PATH, as `npx` finds it.
check_with() {
  local node_bin=$1 dir label
  dir=$(dirname "$node_bin")
  label="Node $("$node_bin" --version)"
  run() { (cd "$app" && PATH="$dir:$PATH" "$@"); }

  local got
  got=$(run npx --no-install edgepurge --version) || fail "$label: npx edgepurge --version failed"
  [ "$got" = "$version" ] || fail "$label: --version printed '$got', package.json says $version"
  say "$label: npx edgepurge --version → $got"

  run npx --no-install edgepurge --help | grep -q '^  plan ' || fail "$label: --help lists no plan"

  run npx --no-install edgepurge manifest many --out many.json 2>/dev/null ||
    fail "$label: npx edgepurge manifest failed"
  run node -e '
    const { createHash } = require("crypto");
    const m = JSON.parse(require("fs").readFileSync("many.json", "utf8"));
    const count = Object.keys(m.files).length;
    if (count !== 300) throw new Error(`the manifest lists ${count} files, not 300`);
    const sha = createHash("sha256").update("file 300\n").digest("hex");
    if (m.files["f300.txt"].sha256 !== sha) throw new Error("f300.txt has the wrong sha256");
  ' || fail "$label: the manifest is wrong"

  local plan
  plan=$(run env -u CLOUDFLARE_API_TOKEN npx --no-install edgepurge plan --json 2>"$work/plan.err") ||
    fail "$label: npx edgepurge plan exited $?: $(cat "$work/plan.err")"
  PLAN="$plan" run node -e '
    const plan = JSON.parse(process.env.PLAN);
    const urls = plan.providers[0].entries.flatMap((entry) => entry.urls ?? []);
    for (const url of ["https://www.example.com/", "https://www.example.com/assets/app.js"]) {
      if (!urls.includes(url)) throw new Error(`the plan does not purge ${url}: ${urls}`);
    }
    if (plan.diff.added.length !== 3) throw new Error(`the plan adds ${plan.diff.added}`);
    console.log(`${plan.diff.added.length} files added, ${urls.length} URLs to purge`);
  ' >"$work/plan.txt" || fail "$label: the plan is wrong"
  say "$label: npx edgepurge manifest, plan → $(cat "$work/plan.txt") on Cloudflare (no token)"

  run node use-library.mjs >/dev/null || fail "$label: import('edgepurge') failed"
}

check_with "$node24"

(cd "$app" && "$ROOT/node_modules/.bin/tsc" -p .) || fail "a consumer does not type-check against dist/index.d.ts"
say "a strict consumer type-checks against dist/index.d.ts (skipLibCheck off)"

find_node22() {
  local candidate
  if [ -n "${EDGEPURGE_NODE22:-}" ] && [ "$EDGEPURGE_NODE22" != fetch ]; then
    echo "$EDGEPURGE_NODE22"
    return
  fi
  for candidate in $(command -v node22 nodejs22 2>/dev/null) /usr/bin/node /usr/local/bin/node \
    /opt/hostedtoolcache/node/22.*/*/bin/node "$HOME"/.nvm/versions/node/v22.*/bin/node \
    "$HOME"/.volta/tools/image/node/22.*/bin/node /usr/local/n/versions/node/22.*/bin/node; do
    if [ -x "$candidate" ] && [ "$(major "$candidate")" = 22 ]; then
      echo "$candidate"
      return
    fi
  done
  if [ "${EDGEPURGE_NODE22:-}" = fetch ]; then
    # The `node` npm package installs the official binary (as the project's Node 24 comes).
    printf '{ "name": "node22", "private": true, "allowScripts": { "node": true } }\n' \
      >"$work/node22.json"
    mkdir -p "$work/node22" && mv "$work/node22.json" "$work/node22/package.json"
    (cd "$work/node22" && npm install --no-audit --no-fund --loglevel=error node@22 >/dev/null) &&
      echo "$work/node22/node_modules/.bin/node"
  fi
}

node22=$(find_node22 || true)
if [ -n "$node22" ] && [ "$(major "$node22")" = 22 ]; then
  check_with "$node22"
else
  say "Node 22: none found, skipped (set EDGEPURGE_NODE22=/path/to/node or EDGEPURGE_NODE22=fetch)"
fi
say "OK"
