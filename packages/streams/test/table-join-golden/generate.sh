#!/usr/bin/env bash
# Regenerates expected.txt and topologies.txt: runs cases.txt through Apache Kafka Streams'
# TopologyTestDriver with TableJoinGolden.java. Needs Java 17+ and Maven (fetches
# kafka-streams-test-utils into ~/.m2). cases.txt itself comes from generate-cases.ts
# (node packages/streams/test/table-join-golden/generate-cases.ts).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${SAMSA_KAFKA_VERSION:-4.4.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>samsa</groupId><artifactId>table-join-golden</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-streams-test-utils</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
(cd "$work" && mvn -q dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" >/dev/null)
cp="$(cat "$work/cp.txt")"
javac -d "$work" -cp "$cp" "$here/TableJoinGolden.java"
java -cp "$cp:$work" TableJoinGolden "$here/cases.txt" "$here/expected.txt" "$here/topologies.txt"
echo "wrote $here/expected.txt and $here/topologies.txt (Kafka Streams $version)"
