#!/usr/bin/env bash
# Server benchmark (issue 4): ingest throughput vs direct GRDB, by=clerk report latency over
# 20 M events' worth of rollups vs GROUP BY over raw events. Release build; ~2 GB of scratch
# space under $TMPDIR (removed at the end). `--quick` runs small sizes as a smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product hailong-bench-server
exec .build/release/hailong-bench-server "$@"
