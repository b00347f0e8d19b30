#!/usr/bin/env bash
# Regenerates expected.txt and topologies.txt: runs cases.txt through Apache Kafka Streams'
# TopologyTestDriver with TableJoinGolden.java. Needs Java 17+ and Maven (fetches
# kafka-streams-test-utils into ~/.m2; see ../golden-generate.sh). cases.txt itself comes from
# generate-cases.ts (node packages/streams/test/table-join-golden/generate-cases.ts).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../golden-generate.sh"
golden_compile "$here/TableJoinGolden.java"
golden_java TableJoinGolden "$here/cases.txt" "$here/expected.txt" "$here/topologies.txt"
echo "wrote $here/expected.txt and $here/topologies.txt (Kafka Streams $golden_version)"
