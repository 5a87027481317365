#!/bin/sh
# Fetches the third corpus of BENCHMARKS.md's "How good are the samples" into DIR: lodash.js of the
# npm package lodash 4.17.21 (MIT licence, the JavaScript utility library's whole source in one
# file, 544,098 bytes: code and its JSDoc comments in English, a kind of text unlike the speeches
# and the novel of the other two corpora). Nothing in zgen needs it at run time; it is not
# committed (download it with this script).
#
#   scripts/fetch_corpus.sh DIR     # writes DIR/lodash.js and DIR/lodash-LICENSE
#
# npm checks the tarball against the registry's integrity hash; the script then checks the file's
# SHA-256, so the benchmark's figures are about exactly these bytes.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
version=4.17.21
sha256=4c04561befdf653aef017a42ac5addf68ea943cdfca6bdee5ce04e04e8139f54
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "lodash@$version" >/dev/null)
tar -xzf "$tmp/lodash-$version.tgz" -C "$tmp" package/lodash.js package/LICENSE
got=$(sha256sum "$tmp/package/lodash.js" | cut -d' ' -f1)
if [ "$got" != "$sha256" ]; then
  echo "$0: lodash.js has SHA-256 $got, expected $sha256" >&2
  exit 1
fi
cp "$tmp/package/lodash.js" "$dir/lodash.js"
cp "$tmp/package/LICENSE" "$dir/lodash-LICENSE"
echo "$dir/lodash.js: lodash $version (MIT), $(wc -c < "$dir/lodash.js") bytes"
