"""confluent-kafka-python (librdkafka) for test/interop/exactly-once*.test.ts: idempotent and
transactional producers, and read_committed / read_uncommitted consumers.

One-shot commands (JSON in on stdin, JSON out on stdout; see common.py):
  produce-sequence  {"topic", "partitions", "count", "first"?, "ratePerSecond"?, "config"?}
                    -> {"delivered": [[value, partition, offset]], "errors": [text], "notices": [text]}
                    An idempotent producer; the values are the decimal numbers first..first+count-1
                    (utf-8), the i-th goes to partition i % partitions. Progress lines
                    {"progress": {"produced", "acked"}} come before the answer (the test cuts
                    connections when it sees them). errors: delivery failures and fatal errors;
                    notices: errors librdkafka recovered from.
  consume           {"topic", "partitions", "isolation": "read_committed"|"read_uncommitted", "timeoutMs"}
                    -> {"records": [[partition, offset, value]]}: everything from the beginning to
                    the end of each partition (the last stable offset for read_committed).
Session (`session`): one JSON request per stdin line, one JSON answer per stdout line, in order:
  {"op": "init", "transactionalId", "config"?}     creates the producer, init_transactions()
  {"op": "begin"} / {"op": "commit"} / {"op": "abort"}
  {"op": "produce", "topic", "partition", "values": [text]}   produce, then flush
  {"op": "send-offsets", "groupId", "offsets": [[topic, partition, offset]]}
  {"op": "close"}
An answer is {"ok": true, ...} or {"error": {"name", "code", "text", "fatal", "retriable",
"txnRequiresAbort"}} (the session goes on after an error: a fenced producer is the point of a test).
"""

import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition

from common import main

TIMEOUT_S = 60
PROGRESS_EVERY = 100


def emit(answer):
    json.dump(answer, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()


def error_answer(error):
    """A KafkaError (or any exception) as the session reports it."""
    if isinstance(error, KafkaException) and error.args and isinstance(error.args[0], KafkaError):
        error = error.args[0]
    if isinstance(error, KafkaError):
        return {
            "name": error.name(),
            "code": error.code(),
            "text": error.str(),
            "fatal": error.fatal(),
            "retriable": error.retriable(),
            "txnRequiresAbort": error.txn_requires_abort(),
        }
    return {
        "name": type(error).__name__,
        "code": None,
        "text": str(error),
        "fatal": None,
        "retriable": None,
        "txnRequiresAbort": None,
    }


def produce_sequence(bootstrap, request):
    config = {
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": 120000,
        "reconnect.backoff.max.ms": 1000,
    }
    config.update(request.get("config", {}))
    failures = []  # delivery failures and fatal errors: what the test asserts on
    notices = []  # errors librdkafka recovers from (a cut connection, a broker down for a while)

    def on_error(error):
        (failures if error.fatal() else notices).append("error_cb: %s" % error)

    producer = Producer(dict(config, error_cb=on_error))
    count, partitions, first = request["count"], request["partitions"], request.get("first", 0)
    rate = request.get("ratePerSecond")
    delivered = []
    state = {"produced": 0}

    def report(error, message):
        if error is not None:
            failures.append("value %s: %s" % (message.value(), error))
            return
        delivered.append([message.value().decode("utf-8"), message.partition(), message.offset()])
        if len(delivered) % PROGRESS_EVERY == 0:
            emit({"progress": {"produced": state["produced"], "acked": len(delivered)}})

    started = time.monotonic()
    for i in range(count):
        if rate:
            # Pace the stream so that the test's faults land in the middle of it.
            due = started + i / rate
            while time.monotonic() < due:
                producer.poll(max(0.0, min(0.05, due - time.monotonic())))
        while True:
            try:
                producer.produce(
                    request["topic"], value=str(first + i).encode("utf-8"), partition=i % partitions, on_delivery=report
                )
                break
            except BufferError:
                producer.poll(0.05)
        state["produced"] += 1
        producer.poll(0)
    deadline = time.monotonic() + config["message.timeout.ms"] / 1000 + 30
    while len(producer) > 0 and time.monotonic() < deadline:
        producer.flush(1)
    if len(producer) > 0:
        failures.append("%d records still undelivered after the flush" % len(producer))
    return {"delivered": delivered, "errors": failures, "notices": notices[:50]}


def consume(bootstrap, request):
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "interop-unused",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": True,
            "isolation.level": request["isolation"],
        }
    )
    partitions = request["partitions"]
    consumer.assign([TopicPartition(request["topic"], p, OFFSET_BEGINNING) for p in partitions])
    records = []
    at_end = set()
    deadline = time.monotonic() + request["timeoutMs"] / 1000
    try:
        while len(at_end) < len(partitions):
            if time.monotonic() > deadline:
                raise RuntimeError(
                    "timed out: partitions %s reached their end, %d records so far" % (sorted(at_end), len(records))
                )
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error() is not None:
                if message.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition())
                    continue
                raise KafkaException(message.error())
            at_end.discard(message.partition())
            value = message.value()
            records.append([message.partition(), message.offset(), None if value is None else value.decode("utf-8")])
        return {"records": records}
    finally:
        consumer.close()


class Session:
    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        self.producer = None
        self.group_consumers = {}

    def init(self, request):
        config = {
            "bootstrap.servers": self.bootstrap,
            "transactional.id": request["transactionalId"],
            "linger.ms": 5,
            # Errors reach the test through the calls that fail; this keeps librdkafka from logging them.
            "error_cb": lambda _error: None,
        }
        config.update(request.get("config", {}))
        self.producer = Producer(config)
        self.producer.init_transactions(TIMEOUT_S)
        return {}

    def produce(self, request):
        failures = []

        def report(error, _message):
            if error is not None:
                failures.append(error)

        for value in request["values"]:
            self.producer.produce(
                request["topic"], value=value.encode("utf-8"), partition=request["partition"], on_delivery=report
            )
            self.producer.poll(0)
        left = self.producer.flush(TIMEOUT_S)
        if failures:
            raise KafkaException(failures[0])
        if left > 0:
            raise RuntimeError("%d records undelivered after %d s" % (left, TIMEOUT_S))
        return {}

    def send_offsets(self, request):
        group_id = request["groupId"]
        consumer = self.group_consumers.get(group_id)
        if consumer is None:
            # The group metadata comes from a consumer of that group (never subscribed: a simple group).
            consumer = Consumer(
                {"bootstrap.servers": self.bootstrap, "group.id": group_id, "enable.auto.commit": False}
            )
            self.group_consumers[group_id] = consumer
        offsets = [TopicPartition(topic, partition, offset) for topic, partition, offset in request["offsets"]]
        self.producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), TIMEOUT_S)
        return {}

    def handle(self, request):
        op = request["op"]
        if op == "init":
            return self.init(request)
        if op == "begin":
            self.producer.begin_transaction()
            return {}
        if op == "produce":
            return self.produce(request)
        if op == "send-offsets":
            return self.send_offsets(request)
        if op == "commit":
            self.producer.commit_transaction(TIMEOUT_S)
            return {}
        if op == "abort":
            self.producer.abort_transaction(TIMEOUT_S)
            return {}
        raise ValueError("unknown op %r" % op)

    def close(self):
        for consumer in self.group_consumers.values():
            consumer.close()


def session(bootstrap, _request):
    raise RuntimeError("the session reads its requests line by line; run it through run_session")


def run_session(bootstrap):
    state = Session(bootstrap)
    emit({"ready": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("op") == "close":
            state.close()
            emit({"ok": True})
            return
        try:
            answer = state.handle(request)
            emit(dict(answer, ok=True))
        except Exception as error:  # reported to the test, which decides
            emit({"error": error_answer(error)})
    state.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[2] == "session":
        run_session(sys.argv[1])
    else:
        main({"produce-sequence": produce_sequence, "consume": consume, "session": session})
