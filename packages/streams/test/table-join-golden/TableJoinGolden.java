// Runs the table-join cases of cases.txt through Apache Kafka Streams' own TopologyTestDriver and
// prints every record the topology produces (result and aggregation topics, the foreign-key
// join's registration and response topics, the changelogs of all stores) into expected.txt, and
// each case's topology description into topologies.txt, so table-join-golden.test.ts can check
// Samsa record by record and byte by byte. Regenerate with ./generate.sh (Java 17+, Maven).
//
// Input, one case per block:
//   case <id> <tt|fk> <inner|left|outer> <plain|mat> <agg|noagg> <anon|named>
//   L <key> <value|-> <timestampMs>      a record on the left table's topic ("-": a tombstone)
//   R <key> <value|-> <timestampMs>      a record on the right table's topic
//   end
// tt: a primary-key join; fk: a foreign-key join whose left values are "<fk>|<payload>" (an empty
// fk: none). The joiner is a + "+" + b. With `mat`, the result is materialized as "joined"; with
// `agg`, the result is re-grouped under one key and reduced with an adder and a subtractor (so old
// values flow); with `named`, the join is named "j" (Named / TableJoined).
// Output per input record: `rec <index>`, then per produced topic (sorted by name) and record:
// `t <topic> <keyHex|-> <valueHex|-> <timestampMs> <headerCount>`.
import java.nio.file.*;
import java.util.*;
import java.util.function.Function;
import org.apache.kafka.common.serialization.*;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.kstream.*;
import org.apache.kafka.streams.state.*;
import org.apache.kafka.streams.test.TestRecord;

public class TableJoinGolden {
  public static void main(String[] args) throws Exception {
    StringBuilder topologies = new StringBuilder();
    GoldenCases.run(args[0], args[1], (head, body, out) -> runCase(head, body, out, topologies));
    Files.writeString(Path.of(args[2]), topologies.toString());
  }

  static String hex(byte[] bytes) {
    if (bytes == null) return "-";
    StringBuilder s = new StringBuilder();
    for (byte b : bytes) s.append(String.format("%02x", b));
    return s.length() == 0 ? "=" : s.toString();
  }

  static void runCase(String[] head, List<String[]> body, StringBuilder out, StringBuilder topologies) {
    String kind = head[2];
    String join = head[3];
    boolean mat = head[4].equals("mat");
    boolean agg = head[5].equals("agg");
    boolean named = head[6].equals("named");

    StreamsBuilder builder = new StreamsBuilder();
    KTable<String, String> left = builder.table("left", Consumed.with(Serdes.String(), Serdes.String()));
    KTable<String, String> right = builder.table("right", Consumed.with(Serdes.String(), Serdes.String()));
    ValueJoiner<String, String, String> joiner = (a, b) -> a + "+" + b;
    Materialized<String, String, KeyValueStore<Bytes, byte[]>> materialized =
        Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("joined").withKeySerde(Serdes.String()).withValueSerde(Serdes.String());
    KTable<String, String> result;
    if (kind.equals("tt")) {
      Named name = Named.as("j");
      switch (join) {
        case "inner":
          result = named ? (mat ? left.join(right, joiner, name, materialized) : left.join(right, joiner, name))
              : (mat ? left.join(right, joiner, materialized) : left.join(right, joiner));
          break;
        case "left":
          result = named ? (mat ? left.leftJoin(right, joiner, name, materialized) : left.leftJoin(right, joiner, name))
              : (mat ? left.leftJoin(right, joiner, materialized) : left.leftJoin(right, joiner));
          break;
        default:
          result = named ? (mat ? left.outerJoin(right, joiner, name, materialized) : left.outerJoin(right, joiner, name))
              : (mat ? left.outerJoin(right, joiner, materialized) : left.outerJoin(right, joiner));
      }
    } else {
      Function<String, String> fk = v -> {
        String k = v.substring(0, v.indexOf('|'));
        return k.isEmpty() ? null : k;
      };
      TableJoined<String, String> tableJoined = TableJoined.as("j");
      boolean inner = join.equals("inner");
      if (named) {
        result = mat
            ? (inner ? left.join(right, fk, joiner, tableJoined, materialized) : left.leftJoin(right, fk, joiner, tableJoined, materialized))
            : (inner ? left.join(right, fk, joiner, tableJoined) : left.leftJoin(right, fk, joiner, tableJoined));
      } else {
        result = mat
            ? (inner ? left.join(right, fk, joiner, materialized) : left.leftJoin(right, fk, joiner, materialized))
            : (inner ? left.join(right, fk, joiner) : left.leftJoin(right, fk, joiner));
      }
    }
    result.toStream().to("output", Produced.with(Serdes.String(), Serdes.String()));
    if (agg) {
      result
          .groupBy((k, v) -> KeyValue.pair("g", k + "=" + v), Grouped.with(Serdes.String(), Serdes.String()))
          .reduce((a, v) -> a + "+" + v, (a, v) -> a + "-" + v, Materialized.with(Serdes.String(), Serdes.String()))
          .toStream()
          .to("agg", Produced.with(Serdes.String(), Serdes.String()));
    }
    Topology topology = builder.build();
    topologies.append("topology ").append(head[1]).append('\n').append(topology.describe()).append("end\n");

    Properties props = GoldenCases.driverProperties();
    // A foreign-key join's result materializes for a downstream aggregation: its values are strings.
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, props)) {
      TestInputTopic<String, String> leftIn = driver.createInputTopic("left", new StringSerializer(), new StringSerializer());
      TestInputTopic<String, String> rightIn = driver.createInputTopic("right", new StringSerializer(), new StringSerializer());
      int index = 0;
      for (String[] step : body) {
        TestInputTopic<String, String> in = step[0].equals("L") ? leftIn : rightIn;
        in.pipeInput(step[1], step[2].equals("-") ? null : step[2], Long.parseLong(step[3]));
        out.append("rec ").append(index++).append('\n');
        for (String topic : new TreeSet<>(driver.producedTopicNames())) {
          TestOutputTopic<byte[], byte[]> topicOut = driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer());
          for (TestRecord<byte[], byte[]> record : topicOut.readRecordsToList()) {
            out.append("t ").append(topic).append(' ').append(hex(record.key())).append(' ').append(hex(record.value()))
                .append(' ').append(record.timestamp()).append(' ').append(record.headers().toArray().length).append('\n');
          }
        }
      }
    }
  }
}
