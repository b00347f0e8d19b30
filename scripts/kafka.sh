#!/usr/bin/env bash
# scripts/kafka.sh — owns obtaining Apache Kafka 4.x from Maven Central (mvn only) and running it: a single-node KRaft broker and the Kafka CLI tools, for tests and benchmarks.
#
# Usage:
#   scripts/kafka.sh install                                   # fetch jars into the cache (no-op when present)
#   scripts/kafka.sh run-class <main.Class> [args...]           # like Kafka's kafka-run-class.sh
#   scripts/kafka.sh tool <name> [args...]                      # a CLI tool; `scripts/kafka.sh tools` lists names
#   scripts/kafka.sh start --port P --data-dir D [--advertise HOST:PORT] [--controller-port C] [--internal-port I]
#                          [--authorizer]                       # --authorizer: StandardAuthorizer, ANONYMOUS is super user
#   scripts/kafka.sh stop --data-dir D
#   scripts/kafka.sh status --data-dir D
#   scripts/kafka.sh home                                      # print the install dir
#   scripts/kafka.sh install-streams                           # also fetch Kafka Streams + deps (rocksdbjni, ...)
#   scripts/kafka.sh streams-home                              # print its dir (jars in libs/, a log4j2.xml)
#
# Environment:
#   SAMSA_CACHE_DIR       cache root (default $HOME/.cache/samsa); Kafka lives in $SAMSA_CACHE_DIR/kafka-<version>
#   SAMSA_KAFKA_VERSION   Kafka version (default 4.4.0, the newest 4.x on Maven Central when this was written)
#   SAMSA_KAFKA_HEAP      broker heap options (default "-Xms256m -Xmx1g")
#   SAMSA_KAFKA_LOG_LEVEL root log level for tools and broker (default WARN)
#   JAVA_HOME             Java 17+ (default: `java` on PATH)
#
# `start` formats a fresh single-node KRaft cluster (broker+controller, node.id=1, all listeners on
# 127.0.0.1) in D, starts it in the background (pid in D/kafka.pid, output in D/kafka.out), waits until a
# metadata request works and prints the bootstrap address clients should use. With --advertise, the
# PLAINTEXT listener (bound on 127.0.0.1:P) advertises HOST:PORT instead, e.g. a capturing proxy in front
# of the broker; a second listener INTERNAL (127.0.0.1, a free port, advertised as itself) is then added so
# that the readiness check and inter-broker traffic never depend on that address. D/bootstrap and
# D/internal-bootstrap hold both addresses.
set -euo pipefail

KAFKA_VERSION="${SAMSA_KAFKA_VERSION:-4.4.0}"
LOG4J_VERSION="2.25.5" # the version kafka-server 4.4.0 depends on; only the slf4j binding is added
CACHE_ROOT="${SAMSA_CACHE_DIR:-$HOME/.cache/samsa}"
KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
LOG4J_CONFIG="$KAFKA_HOME/log4j2.xml"
READY_TIMEOUT_S=60
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
STOP_TIMEOUT_S=30
STREAMS_HOME="$CACHE_ROOT/kafka-streams-$KAFKA_VERSION"

die() {
  echo "kafka.sh: $*" >&2
  exit 1
}

java_bin() {
  if [[ -n "${JAVA_HOME:-}" ]]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}

# ---------------------------------------------------------------------------------------------- install

write_log4j_config() {
  # Root level comes from the system property samsa.log.level (set by run_java); everything to stderr.
  cat >"$1" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/kafka.sh: quiet logging for the Kafka broker and CLI tools (stderr only). -->
<Configuration status="ERROR">
  <Appenders>
    <Console name="STDERR" target="SYSTEM_ERR">
      <PatternLayout pattern="[%d{HH:mm:ss.SSS}] %-5p %c{1} - %m%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="${sys:samsa.log.level:-WARN}">
      <AppenderRef ref="STDERR"/>
    </Root>
  </Loggers>
</Configuration>
EOF
}

cmd_install() {
  if [[ -f "$KAFKA_HOME/.installed" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found"
  mkdir -p "$CACHE_ROOT"
  local work
  work="$(mktemp -d "$CACHE_ROOT/.install-XXXXXX")"
  # shellcheck disable=SC2064 # expand $work now
  trap "rm -rf '$work'" EXIT
  local deps="" artifact
  for artifact in kafka_2.13 kafka-tools kafka-server kafka-storage kafka-metadata kafka-raft kafka-clients \
    kafka-group-coordinator kafka-share-coordinator kafka-transaction-coordinator; do
    deps+="<dependency><groupId>org.apache.kafka</groupId><artifactId>$artifact</artifactId><version>$KAFKA_VERSION</version></dependency>"
  done
  # Kafka logs through slf4j 1.7: bind it to log4j2 (as the Kafka distribution does).
  deps+="<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>"
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>samsa.throwaway</groupId>
  <artifactId>kafka-libs</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
EOF
  echo "kafka.sh: fetching Apache Kafka $KAFKA_VERSION jars with mvn ..." >&2
  if ! mvn -B -Dstyle.color=never -f "$work/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$work/kafka/libs" >"$work/mvn.log" 2>&1; then
    tail -n 40 "$work/mvn.log" >&2
    die "mvn failed to fetch Kafka $KAFKA_VERSION"
  fi
  [[ -f "$work/kafka/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn"
  write_log4j_config "$work/kafka/log4j2.xml"
  echo "$KAFKA_VERSION" >"$work/kafka/.installed"
  rm -rf "$KAFKA_HOME"
  mv "$work/kafka" "$KAFKA_HOME"
  rm -rf "$work"
  trap - EXIT
  echo "kafka.sh: installed Kafka $KAFKA_VERSION in $KAFKA_HOME ($(find "$LIBS" -name '*.jar' | wc -l) jars)" >&2
}

# Kafka Streams (for packages/streams/bench): its own directory, so the broker's classpath stays as
# Kafka ships it. Tried offline first (everything may already be in ~/.m2), then from Maven Central.
cmd_install_streams() {
  if [[ -f "$STREAMS_HOME/.installed" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found"
  mkdir -p "$CACHE_ROOT"
  local work
  work="$(mktemp -d "$CACHE_ROOT/.install-streams-XXXXXX")"
  # shellcheck disable=SC2064 # expand $work now
  trap "rm -rf '$work'" EXIT
  local deps="<dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-streams</artifactId><version>$KAFKA_VERSION</version></dependency>"
  # Kafka Streams logs through slf4j 1.7: bound to log4j2 as for the broker.
  deps+="<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>"
  deps+="<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>"
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>samsa.throwaway</groupId>
  <artifactId>kafka-streams-libs</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>$deps</dependencies>
</project>
EOF
  local mvn_args=(-B -Dstyle.color=never -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime
    -DoutputDirectory="$work/streams/libs")
  if ! mvn -o "${mvn_args[@]}" >"$work/mvn.log" 2>&1; then
    echo "kafka.sh: fetching Kafka Streams $KAFKA_VERSION jars with mvn ..." >&2
    rm -rf "$work/streams"
    if ! mvn "${mvn_args[@]}" >"$work/mvn.log" 2>&1; then
      tail -n 40 "$work/mvn.log" >&2
      die "mvn failed to fetch Kafka Streams $KAFKA_VERSION"
    fi
  fi
  [[ -f "$work/streams/libs/kafka-streams-$KAFKA_VERSION.jar" ]] || die "kafka-streams-$KAFKA_VERSION.jar missing after mvn"
  write_log4j_config "$work/streams/log4j2.xml"
  echo "$KAFKA_VERSION" >"$work/streams/.installed"
  rm -rf "$STREAMS_HOME"
  mv "$work/streams" "$STREAMS_HOME"
  rm -rf "$work"
  trap - EXIT
  echo "kafka.sh: installed Kafka Streams $KAFKA_VERSION in $STREAMS_HOME ($(find "$STREAMS_HOME/libs" -name '*.jar' | wc -l) jars)" >&2
}

# ---------------------------------------------------------------------------------------------- running

# run_java <extra jvm opts as one word-split string> <main class> [args...]
run_java() {
  local jvm_opts="$1"
  shift
  # shellcheck disable=SC2086 # jvm_opts is intentionally word-split
  exec "$(java_bin)" $jvm_opts -Djava.awt.headless=true \
    -Dsamsa.log.level="${SAMSA_KAFKA_LOG_LEVEL:-WARN}" -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
    -cp "$LIBS/*" "$@"
}

cmd_run_class() {
  [[ $# -ge 1 ]] || die "usage: kafka.sh run-class <main.Class> [args...]"
  cmd_install
  run_java "${KAFKA_TOOL_HEAP:--Xmx512m} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC" "$@"
}

# Tool name -> main class (Kafka 4.x; most tools moved from core's kafka.admin to org.apache.kafka.tools).
tool_class() {
  case "$1" in
    topics) echo org.apache.kafka.tools.TopicCommand ;;
    configs) echo org.apache.kafka.tools.ConfigCommand ;;
    console-producer) echo org.apache.kafka.tools.ConsoleProducer ;;
    console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    console-share-consumer) echo org.apache.kafka.tools.consumer.ConsoleShareConsumer ;;
    get-offsets) echo org.apache.kafka.tools.GetOffsetShell ;;
    consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    share-groups) echo org.apache.kafka.tools.consumer.group.ShareGroupCommand ;;
    producer-perf-test) echo org.apache.kafka.tools.ProducerPerformance ;;
    consumer-perf-test) echo org.apache.kafka.tools.ConsumerPerformance ;;
    e2e-latency) echo org.apache.kafka.tools.EndToEndLatency ;;
    transactions) echo org.apache.kafka.tools.TransactionsCommand ;;
    acls) echo org.apache.kafka.tools.AclCommand ;;
    storage) echo kafka.tools.StorageTool ;;
    metadata-quorum) echo org.apache.kafka.tools.MetadataQuorumCommand ;;
    broker-api-versions) echo org.apache.kafka.tools.BrokerApiVersionsCommand ;;
    delete-records) echo org.apache.kafka.tools.DeleteRecordsCommand ;;
    features) echo org.apache.kafka.tools.FeatureCommand ;;
    log-dirs) echo org.apache.kafka.tools.LogDirsCommand ;;
    dump-log) echo org.apache.kafka.tools.DumpLogSegments ;;
    *) return 1 ;;
  esac
}
TOOL_NAMES="topics configs console-producer console-consumer console-share-consumer get-offsets consumer-groups share-groups producer-perf-test consumer-perf-test e2e-latency transactions acls storage metadata-quorum broker-api-versions delete-records features log-dirs dump-log"

cmd_tool() {
  [[ $# -ge 1 ]] || die "usage: kafka.sh tool <name> [args...]; names: $TOOL_NAMES"
  local name="${1#kafka-}" class
  name="${name%.sh}"
  shift
  class="$(tool_class "$name")" || die "unknown tool '$name'; names: $TOOL_NAMES"
  cmd_run_class "$class" "$@"
}

# ---------------------------------------------------------------------------------------------- start/stop

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  # A loopback port nothing listens on (racy by nature; start fails loudly if it is taken meanwhile).
  local port tries
  for tries in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! port_open "$port"; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found after $tries tries"
}

pid_alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# The pid in D/kafka.pid, if that process is alive and is a Kafka broker (guards against pid reuse).
running_pid() {
  local pid_file="$1/kafka.pid" pid
  [[ -f "$pid_file" ]] || return 1
  pid="$(cat "$pid_file")"
  pid_alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

random_cluster_id() {
  # Kafka's Uuid string form: 16 random bytes, base64url without padding; must not start with '-'.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && break
  done
  echo "$id"
}

cmd_start() {
  local port="" data_dir="" advertise="" controller_port="" internal_port="" authorizer=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) port="$2"; shift 2 ;;
      --data-dir) data_dir="$2"; shift 2 ;;
      --advertise) advertise="$2"; shift 2 ;;
      --controller-port) controller_port="$2"; shift 2 ;;
      --internal-port) internal_port="$2"; shift 2 ;;
      --authorizer) authorizer=1; shift ;;
      *) die "start: unknown argument '$1'" ;;
    esac
  done
  [[ -n "$port" && -n "$data_dir" ]] || die "usage: kafka.sh start --port P --data-dir D [--advertise HOST:PORT]"
  cmd_install
  mkdir -p "$data_dir"
  data_dir="$(cd "$data_dir" && pwd)"
  if running_pid "$data_dir" >/dev/null; then die "a broker is already running from $data_dir (pid $(cat "$data_dir/kafka.pid"))"; fi
  port_open "$port" && die "port $port is already in use"
  [[ -n "$controller_port" ]] || controller_port="$(free_port)"

  local listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
  local advertised="PLAINTEXT://127.0.0.1:$port"
  local protocol_map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  local inter_broker="PLAINTEXT"
  local bootstrap="127.0.0.1:$port" internal_bootstrap="127.0.0.1:$port"
  if [[ -n "$advertise" ]]; then
    [[ -n "$internal_port" ]] || internal_port="$(free_port)"
    listeners+=",INTERNAL://127.0.0.1:$internal_port"
    advertised="PLAINTEXT://$advertise,INTERNAL://127.0.0.1:$internal_port"
    protocol_map+=",INTERNAL:PLAINTEXT"
    inter_broker="INTERNAL"
    bootstrap="$advertise"
    internal_bootstrap="127.0.0.1:$internal_port"
  fi

  # A fresh cluster every time: only what this script itself writes in D is removed.
  rm -rf "$data_dir/log-dirs" "$data_dir/server.properties" "$data_dir/kafka.out" "$data_dir/kafka.pid"
  cat >"$data_dir/server.properties" <<EOF
# Written by scripts/kafka.sh start: single-node KRaft (combined broker+controller), loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
controller.listener.names=CONTROLLER
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocol_map
inter.broker.listener.name=$inter_broker
log.dirs=$data_dir/log-dirs
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
EOF
  if ((authorizer)); then
    # ACLs enforced, but the (unauthenticated) ANONYMOUS principal is a super user so nothing is denied by default.
    cat >>"$data_dir/server.properties" <<EOF
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
EOF
  fi
  echo "$bootstrap" >"$data_dir/bootstrap"
  echo "$internal_bootstrap" >"$data_dir/internal-bootstrap"

  local t0=$SECONDS
  (KAFKA_TOOL_HEAP="-Xmx256m" cmd_tool storage format --cluster-id "$(random_cluster_id)" \
    --config "$data_dir/server.properties" >"$data_dir/format.out" 2>&1) ||
    { cat "$data_dir/format.out" >&2; die "kafka-storage format failed"; }

  # Background broker; nohup so it outlives the calling shell, output kept for diagnosis.
  (
    # shellcheck disable=SC2086
    exec nohup "$(java_bin)" ${SAMSA_KAFKA_HEAP:--Xms256m -Xmx1g} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -Djava.awt.headless=true -Dsamsa.log.level="${SAMSA_KAFKA_LOG_LEVEL:-WARN}" \
      -Dlog4j2.configurationFile="$LOG4J_CONFIG" -cp "$LIBS/*" kafka.Kafka "$data_dir/server.properties" \
      </dev/null >"$data_dir/kafka.out" 2>&1
  ) &
  local pid=$!
  echo "$pid" >"$data_dir/kafka.pid"

  local deadline=$((SECONDS + READY_TIMEOUT_S)) listen_port="${internal_bootstrap##*:}"
  while :; do
    pid_alive "$pid" || { tail -n 40 "$data_dir/kafka.out" >&2; rm -f "$data_dir/kafka.pid"; die "broker exited during startup"; }
    if port_open "$listen_port" &&
      KAFKA_TOOL_HEAP="-Xmx256m" timeout 20 "$SELF" tool topics --bootstrap-server "$internal_bootstrap" --list \
        >/dev/null 2>&1; then
      break
    fi
    if ((SECONDS >= deadline)); then
      tail -n 40 "$data_dir/kafka.out" >&2
      cmd_stop --data-dir "$data_dir" >&2 || true
      die "broker not ready within ${READY_TIMEOUT_S}s"
    fi
    sleep 0.2
  done
  echo "kafka.sh: Kafka $KAFKA_VERSION up in $((SECONDS - t0))s (pid $pid, controller 127.0.0.1:$controller_port, internal $internal_bootstrap)" >&2
  echo "$bootstrap"
}

cmd_stop() {
  local data_dir=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --data-dir) data_dir="$2"; shift 2 ;;
      *) die "stop: unknown argument '$1'" ;;
    esac
  done
  [[ -n "$data_dir" ]] || die "usage: kafka.sh stop --data-dir D"
  local pid
  if ! pid="$(running_pid "$data_dir")"; then
    rm -f "$data_dir/kafka.pid"
    echo "kafka.sh: no broker running from $data_dir" >&2
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT_S))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if pid_alive "$pid"; then
    echo "kafka.sh: broker $pid ignored TERM for ${STOP_TIMEOUT_S}s; sending KILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while pid_alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$data_dir/kafka.pid"
  echo "kafka.sh: broker $pid stopped" >&2
}

cmd_status() {
  [[ "${1:-}" == "--data-dir" && -n "${2:-}" ]] || die "usage: kafka.sh status --data-dir D"
  local pid
  if pid="$(running_pid "$2")"; then
    echo "running pid=$pid bootstrap=$(cat "$2/bootstrap")"
  else
    echo "stopped"
    return 1
  fi
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    install) cmd_install ;;
    home) echo "$KAFKA_HOME" ;;
    install-streams) cmd_install_streams ;;
    streams-home) echo "$STREAMS_HOME" ;;
    run-class) cmd_run_class "$@" ;;
    tool) cmd_tool "$@" ;;
    tools) echo "$TOOL_NAMES" | tr ' ' '\n' ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    *) sed -n '4,14p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
