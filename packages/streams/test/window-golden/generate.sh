#!/usr/bin/env bash
# Regenerates expected.txt: runs cases.txt through Apache Kafka Streams (TopologyTestDriver) with
# WindowGolden.java; and topologies.txt: Kafka's descriptions of window-dsl.test.ts's topologies.
# Needs Java 17+ and Maven (fetches kafka-streams-test-utils into ~/.m2; see ../golden-generate.sh).
# cases.txt itself comes from generate-cases.ts (node packages/streams/test/window-golden/generate-cases.ts).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../golden-generate.sh"
golden_compile "$here/WindowGolden.java" "$here/WindowTopologies.java"
golden_java WindowGolden "$here/cases.txt" "$here/expected.txt"
golden_java WindowTopologies "$here/topologies.txt"
echo "wrote $here/expected.txt and $here/topologies.txt (Kafka Streams $golden_version)"
