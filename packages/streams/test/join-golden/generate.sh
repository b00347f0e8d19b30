#!/usr/bin/env bash
# Regenerates expected.txt: runs cases.txt through Apache Kafka Streams (TopologyTestDriver) with
# JoinGolden.java; and topologies.txt: Kafka's descriptions of the join topologies of JoinTopologies.java
# (built again with Samsa's DSL in join-golden.test.ts). Needs Java 17+ and Maven (fetches
# kafka-streams-test-utils into ~/.m2; see ../golden-generate.sh).
# cases.txt itself comes from generate-cases.ts (node packages/streams/test/join-golden/generate-cases.ts).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../golden-generate.sh"
golden_compile "$here/JoinGolden.java" "$here/JoinTopologies.java"
golden_java JoinGolden "$here/cases.txt" "$here/expected.txt"
golden_java JoinTopologies "$here/topologies.txt"
echo "wrote $here/expected.txt and $here/topologies.txt (Kafka Streams $golden_version)"
