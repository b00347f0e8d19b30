# Sourced by the golden directories' generate.sh (join-golden, table-join-golden, window-golden):
# fetches Apache Kafka Streams' test utilities with Maven (into ~/.m2; Kafka $SAMSA_KAFKA_VERSION,
# default 4.4.0) and defines golden_compile (javac, with the shared GoldenCases.java) and golden_java
# (runs a compiled class). Needs Java 17+ and Maven. The caller sets `set -euo pipefail`.
golden_version="${SAMSA_KAFKA_VERSION:-4.4.0}"
golden_shared="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
golden_work="$(mktemp -d)"
trap 'rm -rf "$golden_work"' EXIT
cat >"$golden_work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>samsa</groupId><artifactId>streams-golden</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-streams-test-utils</artifactId><version>$golden_version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
(cd "$golden_work" && mvn -q dependency:build-classpath -Dmdep.outputFile="$golden_work/cp.txt" >/dev/null)
golden_classpath="$(cat "$golden_work/cp.txt")"

# golden_compile <java file>...: compiles the files with GoldenCases.java.
golden_compile() {
  javac -d "$golden_work" -cp "$golden_classpath" "$golden_shared/GoldenCases.java" "$@"
}

# golden_java <main class> <argument>...
golden_java() {
  java -cp "$golden_classpath:$golden_work" "$@"
}
