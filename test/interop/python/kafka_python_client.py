"""kafka-python as driven by test/interop/python-clients.test.ts: the same commands as
confluent_client.py (see there and common.py), through kafka-python's own protocol implementation.
"""

import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

from common import b64, main, unb64

TIMEOUT_MS = 30_000
TIMESTAMP_TYPES = {0: "CreateTime", 1: "LogAppendTime"}


def admin_client(bootstrap):
    return KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=TIMEOUT_MS, client_id="interop-kafka-python")


def create_topics(bootstrap, request):
    admin = admin_client(bootstrap)
    try:
        new = [
            NewTopic(t["name"], num_partitions=t["partitions"], replication_factor=1, topic_configs=t.get("configs", {}))
            for t in request["topics"]
        ]
        response = admin.create_topics(new, timeout_ms=TIMEOUT_MS)
        errors = {}
        for entry in response.topic_errors:  # (topic, error_code[, error_message])
            name, code = entry[0], entry[1]
            message = entry[2] if len(entry) > 2 else None
            errors[name] = None if code == 0 else "error code %d: %s" % (code, message)
        return {"errors": errors}
    finally:
        admin.close()


def list_topics(bootstrap, _request):
    admin = admin_client(bootstrap)
    try:
        cluster = admin.describe_cluster()
        topics = {}
        for t in admin.describe_topics():
            topics[t["topic"]] = {
                "error": None if t["error_code"] == 0 else "error code %d" % t["error_code"],
                "partitions": sorted(p["partition"] for p in t["partitions"]),
                "leaders": {str(p["partition"]): p["leader"] for p in t["partitions"]},
            }
        return {
            "clusterId": cluster.get("cluster_id"),
            "controllerId": cluster.get("controller_id"),
            "brokers": [{"id": b["node_id"], "host": b["host"], "port": b["port"]} for b in cluster["brokers"]],
            "topics": topics,
        }
    finally:
        admin.close()


def describe_configs(bootstrap, request):
    admin = admin_client(bootstrap)
    try:
        responses = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, request["topic"])])
        configs = {}
        for response in responses:
            for error_code, error_message, _type, _name, entries in response.resources:
                if error_code != 0:
                    raise RuntimeError("DescribeConfigs error code %d: %s" % (error_code, error_message))
                for entry in entries:
                    configs[entry[0]] = entry[1]
        return {"configs": configs}
    finally:
        admin.close()


def produce(bootstrap, request):
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        compression_type=None if request["compression"] == "none" else request["compression"],
        linger_ms=20,
        acks="all",
        request_timeout_ms=TIMEOUT_MS,
    )
    try:
        futures = [
            producer.send(
                request["topic"],
                value=unb64(record["value"]),
                key=unb64(record["key"]),
                partition=record["partition"],
                timestamp_ms=record["timestamp"],
                headers=[(name, unb64(value)) for name, value in record["headers"]],
            )
            for record in request["records"]
        ]
        producer.flush(timeout=TIMEOUT_MS / 1000)
        delivered = []
        for future in futures:
            metadata = future.get(timeout=TIMEOUT_MS / 1000)
            delivered.append({"partition": metadata.partition, "offset": metadata.offset})
        return {"delivered": delivered}
    finally:
        producer.close(timeout=TIMEOUT_MS / 1000)


def message_record(message):
    return {
        "partition": message.partition,
        "offset": message.offset,
        "key": b64(message.key),
        "value": b64(message.value),
        "headers": [[name, b64(value)] for name, value in (message.headers or [])],
        "timestamp": message.timestamp,
        "timestampType": TIMESTAMP_TYPES.get(message.timestamp_type, "unknown"),
    }


def poll_records(consumer, count, timeout_ms):
    records = []
    deadline = time.monotonic() + timeout_ms / 1000
    while len(records) < count and time.monotonic() < deadline:
        for _tp, batch in consumer.poll(timeout_ms=200).items():
            records.extend(message_record(message) for message in batch)
    records.sort(key=lambda r: (r["partition"], r["offset"]))
    return records


def consume(bootstrap, request):
    # No group_id: manual assignment, no coordinator, no commits.
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=TIMEOUT_MS + 1000,
    )
    try:
        partitions = [TopicPartition(request["topic"], p) for p in request["partitions"]]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return {"records": poll_records(consumer, request["count"], request["timeoutMs"])}
    finally:
        consumer.close(autocommit=False)


def subscribe(bootstrap, request):
    """A consumer group member: subscribe, read `count` records, commit synchronously, report the commit."""
    consumer = KafkaConsumer(
        request["topic"],
        bootstrap_servers=bootstrap,
        group_id=request["groupId"],
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=10000,
        request_timeout_ms=TIMEOUT_MS + 1000,
    )
    try:
        records = poll_records(consumer, request["count"], request["timeoutMs"])
        if not records:
            return {"records": [], "committed": {}}
        consumer.commit()
        partitions = sorted({r["partition"] for r in records})
        committed = {str(p): consumer.committed(TopicPartition(request["topic"], p)) for p in partitions}
        return {"records": records, "committed": committed}
    finally:
        consumer.close(autocommit=False)


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
