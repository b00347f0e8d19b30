// Runs the windowing cases of cases.txt through Apache Kafka Streams' own TopologyTestDriver and
// prints what it forwards and logs (expected.txt), so the TypeScript processors and stores are
// checked against Kafka itself. Regenerate with ./generate.sh (needs Java 17+ and Maven).
//
// Input, one case per block:
//   case <id> time <sizeMs> <advanceMs> <graceMs> <update|final> <aggregate|count|reduce>
//   case <id> sliding <timeDifferenceMs> 0 <graceMs> <update|final> <aggregate|count|reduce>
//   case <id> session <inactivityGapMs> 0 <graceMs> <update|final> <aggregate|count|reduce>
//   ... followed by `old`: old values are sent (a downstream groupBy().aggregate() asks for them)
//   rec <key> <timestampMs> <value>        a record on the input topic
//   wall <ms>                              advance the wall clock (emit-final throttling)
//   end
// With `final`, stores keep everything (retention 1,000,000 ms) and the emit interval is Kafka's default (1000 ms of wall-clock time) when the case has
// `wall` lines, else 0. Output, per input record: `rec <index>`, then `out <key> <start> <end>
// <value|-> <timestampMs>` per forwarded result and `log <keyHex> <valueHex|-> <timestampMs>` per
// changelog record of the store; with `old`, after the `out` lines, `sub <key> <start>/<end>:<old>` and
// `add <key> <start>/<end>:<new>` for each change the downstream aggregation saw.
import java.time.*;
import java.util.*;
import org.apache.kafka.common.serialization.*;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.kstream.*;
import org.apache.kafka.streams.processor.api.*;
import org.apache.kafka.streams.state.*;
import org.apache.kafka.streams.test.TestRecord;

public class WindowGolden {
  static final List<String> out = new ArrayList<>();
  static final long FINAL_RETENTION_MS = 1_000_000L;

  public static void main(String[] args) throws Exception {
    GoldenCases.run(args[0], args[1], WindowGolden::runCase);
  }

  static void runCase(String[] head, List<String[]> body, StringBuilder result) {
    String kind = head[2];
    long p1 = Long.parseLong(head[3]);
    long p2 = Long.parseLong(head[4]);
    long grace = Long.parseLong(head[5]);
    boolean emitFinal = head[6].equals("final");
    String agg = head[7];
    boolean oldValues = head.length > 8 && head[8].equals("old");
    boolean throttled = body.stream().anyMatch(r -> r[0].equals("wall"));

    Properties props = GoldenCases.driverProperties();
    // TopologyTestDriver sets this to 0 unless given; the runtime's default is 1000.
    props.put("__emit.interval.ms.kstreams.windowed.aggregation__", throttled ? 1000L : 0L);

    StreamsBuilder builder = new StreamsBuilder();
    KGroupedStream<String, String> grouped =
        builder.stream("input", Consumed.with(Serdes.String(), Serdes.String())).groupByKey();
    EmitStrategy emit = emitFinal ? EmitStrategy.onWindowClose() : EmitStrategy.onWindowUpdate();
    KTable<Windowed<String>, ?> table;

    Initializer<String> init = () -> "0";
    Aggregator<String, String, String> aggregator = (k, v, a) -> a + "+" + v;
    Reducer<String> reducer = (a, v) -> a + "+" + v;
    Merger<String, String> merger = (k, a, b) -> a + "|" + b;
    // Kafka's emit-final loses the final result of a window its store expires in the same put
    // (in-memory stores, retention = size + grace): those cases run with a retention that never
    // expires anything, which gives the results emit-final promises.
    Duration retention = Duration.ofMillis(emitFinal ? FINAL_RETENTION_MS : (kind.equals("time") ? p1 + grace : kind.equals("sliding") ? 2 * p1 + grace : p1 + grace));
    switch (kind) {
      case "time": {
        TimeWindowedKStream<String, String> w =
            grouped.windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(p1), Duration.ofMillis(grace)).advanceBy(Duration.ofMillis(p2))).emitStrategy(emit);
        table = agg.equals("count") ? w.count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("store").withCachingDisabled().withRetention(retention))
            : agg.equals("reduce") ? w.reduce(reducer, Materialized.<String, String, WindowStore<Bytes, byte[]>>as("store").withValueSerde(Serdes.String()).withCachingDisabled().withRetention(retention))
            : w.aggregate(init, aggregator, Materialized.<String, String, WindowStore<Bytes, byte[]>>as("store").withValueSerde(Serdes.String()).withCachingDisabled().withRetention(retention));
        break;
      }
      case "sliding": {
        TimeWindowedKStream<String, String> w =
            grouped.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(p1), Duration.ofMillis(grace))).emitStrategy(emit);
        table = agg.equals("count") ? w.count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("store").withCachingDisabled().withRetention(retention))
            : agg.equals("reduce") ? w.reduce(reducer, Materialized.<String, String, WindowStore<Bytes, byte[]>>as("store").withValueSerde(Serdes.String()).withCachingDisabled().withRetention(retention))
            : w.aggregate(init, aggregator, Materialized.<String, String, WindowStore<Bytes, byte[]>>as("store").withValueSerde(Serdes.String()).withCachingDisabled().withRetention(retention));
        break;
      }
      case "session": {
        SessionWindowedKStream<String, String> w =
            grouped.windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(p1), Duration.ofMillis(grace))).emitStrategy(emit);
        table = agg.equals("count") ? w.count(Materialized.<String, Long, SessionStore<Bytes, byte[]>>as("store").withCachingDisabled().withRetention(retention))
            : agg.equals("reduce") ? w.reduce(reducer, Materialized.<String, String, SessionStore<Bytes, byte[]>>as("store").withValueSerde(Serdes.String()).withCachingDisabled().withRetention(retention))
            : w.aggregate(init, aggregator, merger, Materialized.<String, String, SessionStore<Bytes, byte[]>>as("store").withValueSerde(Serdes.String()).withCachingDisabled().withRetention(retention));
        break;
      }
      default:
        throw new IllegalArgumentException(kind);
    }
    @SuppressWarnings("unchecked")
    KTable<Windowed<String>, Object> results = (KTable<Windowed<String>, Object>) table;
    results.toStream().process(() -> new Processor<Windowed<String>, Object, Void, Void>() {
      public void process(org.apache.kafka.streams.processor.api.Record<Windowed<String>, Object> r) {
        out.add("out " + r.key().key() + " " + r.key().window().start() + " " + r.key().window().end() + " "
            + (r.value() == null ? "-" : r.value().toString()) + " " + r.timestamp());
      }
    });

    if (oldValues) {
      // A downstream table aggregation makes the windowed aggregation send old values; its
      // subtractor sees each old value (once the key has an aggregate: after its first add) and its
      // adder each new one. All windows of a key go to one key, so only the very first old value
      // of a key is not seen.
      results.groupBy(
              (k, v) -> KeyValue.pair(k.key(), k.window().start() + "/" + k.window().end() + ":" + v),
              Grouped.with("regroup", Serdes.String(), Serdes.String()))
          .aggregate(
              () -> "",
              (k, v, a) -> { out.add("add " + k + " " + v); return a; },
              (k, v, a) -> { out.add("sub " + k + " " + v); return a; },
              Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("regrouped").withValueSerde(Serdes.String()).withCachingDisabled());
    }

    try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props, Instant.ofEpochMilli(0))) {
      TestInputTopic<String, String> input =
          driver.createInputTopic("input", new StringSerializer(), new StringSerializer());
      TestOutputTopic<byte[], byte[]> changelog =
          driver.createOutputTopic("app-store-changelog", new ByteArrayDeserializer(), new ByteArrayDeserializer());
      int index = 0;
      for (String[] r : body) {
        if (r[0].equals("wall")) {
          driver.advanceWallClockTime(Duration.ofMillis(Long.parseLong(r[1])));
          continue;
        }
        out.clear();
        input.pipeInput(new TestRecord<>(r[1], r[3], Instant.ofEpochMilli(Long.parseLong(r[2]))));
        result.append("rec ").append(index++).append('\n');
        for (String o : out) result.append(o).append('\n');
        for (TestRecord<byte[], byte[]> c : changelog.readRecordsToList()) {
          result.append("log ").append(HexFormat.of().formatHex(c.key())).append(' ')
              .append(c.value() == null ? "-" : HexFormat.of().formatHex(c.value())).append(' ')
              .append(c.timestamp()).append('\n');
        }
      }
    }
  }
}
