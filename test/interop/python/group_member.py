"""A long-running confluent-kafka-python (librdkafka) consumer group member, for
test/interop/consumer-groups.test.ts.

Usage: group_member.py <bootstrap> '<JSON config>'
  config: {"topic", "groupId", "clientId", "sessionTimeoutMs", "heartbeatIntervalMs",
           "autoCommitIntervalMs", "groupInstanceId" (optional)}
Prints one JSON object a line, flushed: {"event": "assigned"|"revoked", "partitions": [..]} and
{"event": "record", "partition", "offset", "value"} (the value as UTF-8 text). Auto-commit is on.
Runs until SIGTERM (then closes the consumer, which leaves the group) or SIGKILL (which does not).
"""

import json
import signal
import sys

from confluent_kafka import Consumer, KafkaError


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def main():
    bootstrap, config = sys.argv[1], json.loads(sys.argv[2])
    settings = {
        "bootstrap.servers": bootstrap,
        "group.id": config["groupId"],
        "client.id": config["clientId"],
        "auto.offset.reset": "earliest",
        "enable.auto.commit": True,
        "auto.commit.interval.ms": config["autoCommitIntervalMs"],
        "session.timeout.ms": config["sessionTimeoutMs"],
        "heartbeat.interval.ms": config["heartbeatIntervalMs"],
        "enable.partition.eof": False,
    }
    if config.get("groupInstanceId"):
        settings["group.instance.id"] = config["groupInstanceId"]
    consumer = Consumer(settings)
    stopping = []
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.append(True))

    def on_assign(_consumer, partitions):
        emit({"event": "assigned", "partitions": sorted(p.partition for p in partitions)})

    def on_revoke(_consumer, partitions):
        emit({"event": "revoked", "partitions": sorted(p.partition for p in partitions)})

    consumer.subscribe([config["topic"]], on_assign=on_assign, on_revoke=on_revoke)
    try:
        while not stopping:
            message = consumer.poll(0.1)
            if message is None:
                continue
            if message.error() is not None:
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                emit({"event": "error", "error": str(message.error())})
                continue
            value = message.value()
            emit(
                {
                    "event": "record",
                    "partition": message.partition(),
                    "offset": message.offset(),
                    "value": None if value is None else value.decode("utf-8"),
                }
            )
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
