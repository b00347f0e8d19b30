"""confluent-kafka-python (librdkafka) as driven by test/interop/python-clients.test.ts.

Commands (JSON in on stdin, JSON out on stdout; see common.py):
  create-topics     {"topics": [{"name", "partitions", "configs": {}}]} -> {"errors": {name: null|text}}
  list-topics       {} -> {"brokers": [{"id", "host", "port"}], "topics": {name: {"partitions": [..]}}}
  describe-configs  {"topic"} -> {"configs": {name: value}}
  produce           {"topic", "compression", "records": [record]} -> {"delivered": [{"partition", "offset"}]}
  consume           {"topic", "partitions": [p], "count", "timeoutMs"} -> {"records": [record with offset]}
  subscribe         {"topic", "groupId", "count", "timeoutMs"} -> {"records": [..], "committed": {partition: offset}}
A record is {"partition", "key", "value", "headers": [[name, value]], "timestamp"} with base64 bytes.
"""

import time

from confluent_kafka import (
    OFFSET_BEGINNING,
    TIMESTAMP_CREATE_TIME,
    TIMESTAMP_LOG_APPEND_TIME,
    Consumer,
    KafkaError,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from common import b64, main, unb64

TIMEOUT_S = 30
TIMESTAMP_TYPES = {TIMESTAMP_CREATE_TIME: "CreateTime", TIMESTAMP_LOG_APPEND_TIME: "LogAppendTime"}


def create_topics(bootstrap, request):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    new = [
        NewTopic(t["name"], num_partitions=t["partitions"], replication_factor=1, config=t.get("configs", {}))
        for t in request["topics"]
    ]
    errors = {}
    for name, future in admin.create_topics(new, operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S).items():
        try:
            future.result(timeout=TIMEOUT_S)
            errors[name] = None
        except Exception as error:
            errors[name] = str(error)
    return {"errors": errors}


def list_topics(bootstrap, _request):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    metadata = admin.list_topics(timeout=TIMEOUT_S)
    return {
        "clusterId": metadata.cluster_id,
        "controllerId": metadata.controller_id,
        "brokers": [{"id": b.id, "host": b.host, "port": b.port} for b in metadata.brokers.values()],
        "topics": {
            name: {
                "error": None if t.error is None else str(t.error),
                "partitions": sorted(p.id for p in t.partitions.values()),
                "leaders": {str(p.id): p.leader for p in t.partitions.values()},
            }
            for name, t in metadata.topics.items()
        },
    }


def describe_configs(bootstrap, request):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    resource = ConfigResource(ConfigResource.Type.TOPIC, request["topic"])
    configs = {}
    for _resource, future in admin.describe_configs([resource], request_timeout=TIMEOUT_S).items():
        for name, entry in future.result(timeout=TIMEOUT_S).items():
            configs[name] = entry.value
    return {"configs": configs}


def produce(bootstrap, request):
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "compression.type": request["compression"],
            "linger.ms": 20,
            "enable.idempotence": True,
            "message.timeout.ms": TIMEOUT_S * 1000,
        }
    )
    delivered = [None] * len(request["records"])
    failures = []

    def on_delivery(index):
        def report(error, message):
            if error is not None:
                failures.append("record %d: %s" % (index, error))
            else:
                delivered[index] = {"partition": message.partition(), "offset": message.offset()}

        return report

    for index, record in enumerate(request["records"]):
        producer.produce(
            request["topic"],
            value=unb64(record["value"]),
            key=unb64(record["key"]),
            partition=record["partition"],
            timestamp=record["timestamp"],
            headers=[(name, unb64(value)) for name, value in record["headers"]],
            on_delivery=on_delivery(index),
        )
        producer.poll(0)
    left = producer.flush(TIMEOUT_S)
    if left > 0 or failures:
        raise RuntimeError("%d records undelivered; failures: %s" % (left, failures))
    return {"delivered": delivered}


def message_record(message):
    timestamp_type, timestamp = message.timestamp()
    return {
        "partition": message.partition(),
        "offset": message.offset(),
        "key": b64(message.key()),
        "value": b64(message.value()),
        "headers": [[name, b64(value)] for name, value in (message.headers() or [])],
        "timestamp": timestamp,
        "timestampType": TIMESTAMP_TYPES.get(timestamp_type, "unknown"),
    }


def poll_records(consumer, count, timeout_ms):
    records = []
    deadline = time.monotonic() + timeout_ms / 1000
    while len(records) < count and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is None:
            continue
        if message.error() is not None:
            if message.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise RuntimeError(str(message.error()))
        records.append(message_record(message))
    return records


def consume(bootstrap, request):
    # Manual assignment, no group: librdkafka insists on a group.id, but with assign() and no
    # commits it never needs the group coordinator.
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "interop-unused",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": False,
        }
    )
    consumer.assign([TopicPartition(request["topic"], p, OFFSET_BEGINNING) for p in request["partitions"]])
    try:
        return {"records": poll_records(consumer, request["count"], request["timeoutMs"])}
    finally:
        consumer.close()


def subscribe(bootstrap, request):
    """A consumer group member: subscribe, read `count` records, commit synchronously, report the commit."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": request["groupId"],
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 10000,
        }
    )
    try:
        consumer.subscribe([request["topic"]])
        records = poll_records(consumer, request["count"], request["timeoutMs"])
        if not records:
            return {"records": [], "committed": {}}
        consumer.commit(asynchronous=False)
        partitions = sorted({r["partition"] for r in records})
        committed = consumer.committed([TopicPartition(request["topic"], p) for p in partitions], timeout=10)
        return {"records": records, "committed": {str(tp.partition): tp.offset for tp in committed}}
    finally:
        consumer.close()


if __name__ == "__main__":
    main(
        {
            "create-topics": create_topics,
            "list-topics": list_topics,
            "describe-configs": describe_configs,
            "produce": produce,
            "consume": consume,
            "subscribe": subscribe,
        }
    )
