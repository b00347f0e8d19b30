// Prints Kafka Streams' TopologyDescription of the windowed topologies that window-dsl.test.ts
// builds with Samsa's DSL (names of nodes, stores and repartition topics must be Kafka's), into
// topologies.txt. Run by ./generate.sh.
import java.nio.file.*;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.kstream.*;
import org.apache.kafka.streams.state.*;

public class WindowTopologies {
  public static void main(String[] args) throws Exception {
    StringBuilder out = new StringBuilder();

    // 1. Windowed word count, emit-final.
    StreamsBuilder b1 = new StreamsBuilder();
    b1.stream("text", Consumed.with(Serdes.String(), Serdes.String()))
        .flatMapValues(line -> java.util.Arrays.asList(line.toLowerCase().split("\\W+")))
        .groupBy((k, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(60_000), Duration.ofMillis(5_000)))
        .emitStrategy(EmitStrategy.onWindowClose())
        .count()
        .toStream()
        .to("word-counts");
    out.append("topology word-count\n").append(b1.build().describe()).append("end\n");

    // 2. Clickstream sessions: per-user session count under a store name, sessions as a stream.
    StreamsBuilder b2 = new StreamsBuilder();
    b2.stream("clicks", Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(30_000), Duration.ofMillis(10_000)))
        .count(Materialized.as("sessions"))
        .toStream()
        .to("sessions");
    out.append("topology sessions\n").append(b2.build().describe()).append("end\n");

    // 3. Hopping reduce after selectKey (repartition named by the store), a sliding aggregate after
    //    groupBy, and unnamed Materialized counts (Kafka burns a store-name index, not for sliding).
    StreamsBuilder b3 = new StreamsBuilder();
    // Each chain has its own source: the order of a node's successors is not what this checks.
    b3.stream("in1", Consumed.with(Serdes.String(), Serdes.String()))
        .selectKey((k, v) -> v)
        .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMillis(10)).advanceBy(Duration.ofMillis(5)))
        .reduce((a, v) -> a + v)
        .toStream()
        .to("out1");
    b3.stream("in2", Consumed.with(Serdes.String(), Serdes.String()))
        .groupBy((k, v) -> v, Grouped.with(Serdes.String(), Serdes.String()))
        .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(Duration.ofMillis(10)))
        .aggregate(() -> "", (k, v, a) -> a + v, Materialized.with(Serdes.String(), Serdes.String()))
        .toStream()
        .to("out2");
    b3.stream("in3", Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMillis(10)))
        .count(Materialized.with(Serdes.String(), Serdes.Long()))
        .toStream()
        .to("out3");
    b3.stream("in4", Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(Duration.ofMillis(10)))
        .count(Materialized.with(Serdes.String(), Serdes.Long()))
        .toStream()
        .to("out4");
    b3.stream("in5", Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(Duration.ofMillis(10)))
        .count(Materialized.with(Serdes.String(), Serdes.Long()))
        .toStream()
        .to("out5");
    out.append("topology mixed\n").append(b3.build().describe()).append("end\n");

    // 4. A sliding aggregate after groupBy with a Grouped name (names the repartition topic).
    StreamsBuilder b4 = new StreamsBuilder();
    b4.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
        .groupBy((k, v) -> v, Grouped.<String, String>as("by-value").withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
        .windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(Duration.ofMillis(10)))
        .aggregate(() -> "", (k, v, a) -> a + v, Materialized.with(Serdes.String(), Serdes.String()))
        .toStream()
        .to("out");
    out.append("topology named-grouped\n").append(b4.build().describe()).append("end\n");

    Files.writeString(Path.of(args[0]), out.toString());
  }
}
