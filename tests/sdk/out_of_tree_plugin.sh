#!/usr/bin/env bash
# Installs the plugin SDK from this build into a temporary prefix, builds
# examples/plugin-hello and sdk/template against it (nothing else from the
# tree), runs their replay tests, and has the gateway check the plugins.
#
# usage: out_of_tree_plugin.sh BUILD_DIR SOURCE_DIR AIGATE_BINARY
set -euo pipefail
build=$1
source=$2
aigate=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --component sdk --prefix "$work/sdk" >/dev/null
cmake -S "$source/examples/plugin-hello" -B "$work/hello" -DCMAKE_PREFIX_PATH="$work/sdk" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/hello" -j2 >/dev/null
ctest --test-dir "$work/hello" --output-on-failure
"$aigate" plugins check "$work/hello/aigate_hello.so"

# The template in sdk/template builds and passes its replay test too.
cmake -S "$source/sdk/template" -B "$work/template" -DCMAKE_PREFIX_PATH="$work/sdk" >/dev/null
cmake --build "$work/template" -j2 >/dev/null
ctest --test-dir "$work/template" --output-on-failure
"$aigate" plugins check "$work/template/aigate_my_provider.so"
