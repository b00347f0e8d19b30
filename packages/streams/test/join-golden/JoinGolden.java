// Runs the join cases of cases.txt through Apache Kafka Streams' own TopologyTestDriver and prints
// what the joins forward and what their stores log (expected.txt), so Samsa's KStream joins are
// checked against Kafka itself. Regenerate with ./generate.sh (needs Java 17+ and Maven).
//
// Input, one case per block:
//   case <id> ss <join|left|outer> <beforeMs> <afterMs> <graceMs>   stream "left" ⋈ stream "right"
//   case <id> st <join|left> 0 0 0                                  stream "left" ⋈ table "right"
//   case <id> sg <join|left> 0 0 0                                  stream "left" ⋈ global table "right"
//   l <key|-> <timestampMs> <value|->    a record of the left stream (- is null)
//   r <key|-> <timestampMs> <value|->    a record of the right stream / table topic
//   end
// Stream–stream windows are JoinWindows.ofTimeDifferenceAndGrace(after, grace).before(before); the
// global table's key is the part of the stream value before its first '.' (none if empty or absent).
// The joiner returns "<key>|<left>|<right>". Output, per input record: `rec <index>`, then
// `out <key|-> <value> <timestampMs>` per joined record and `log <store> <keyHex> <valueHex|-> <timestampMs>`
// per changelog record (stores in name order).
import java.time.*;
import java.util.*;
import org.apache.kafka.common.serialization.*;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.kstream.*;
import org.apache.kafka.streams.processor.api.*;
import org.apache.kafka.streams.state.*;
import org.apache.kafka.streams.test.TestRecord;

public class JoinGolden {
  static final List<String> out = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    GoldenCases.run(args[0], args[1], JoinGolden::runCase);
  }

  static String nullable(String text) {
    return text.equals("-") ? null : text;
  }

  static String globalKey(String value) {
    if (value == null) return null;
    int dot = value.indexOf('.');
    return dot <= 0 ? null : value.substring(0, dot);
  }

  static void runCase(String[] head, List<String[]> body, StringBuilder result) {
    String kind = head[2];
    String type = head[3];
    long before = Long.parseLong(head[4]);
    long after = Long.parseLong(head[5]);
    long grace = Long.parseLong(head[6]);

    Properties props = GoldenCases.driverProperties();

    StreamsBuilder builder = new StreamsBuilder();
    Consumed<String, String> strings = Consumed.with(Serdes.String(), Serdes.String());
    KStream<String, String> left = builder.stream("left", strings);
    ValueJoinerWithKey<String, String, String, String> joiner = (k, l, r) -> k + "|" + l + "|" + r;
    KStream<String, String> joined;
    switch (kind) {
      case "ss": {
        KStream<String, String> right = builder.stream("right", strings);
        JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(after), Duration.ofMillis(grace))
            .before(Duration.ofMillis(before));
        StreamJoined<String, String, String> serdes = StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String());
        joined = type.equals("join") ? left.join(right, joiner, windows, serdes)
            : type.equals("left") ? left.leftJoin(right, joiner, windows, serdes)
            : left.outerJoin(right, joiner, windows, serdes);
        break;
      }
      case "st": {
        KTable<String, String> table = builder.table("right", strings);
        Joined<String, String, String> serdes = Joined.with(Serdes.String(), Serdes.String(), Serdes.String());
        joined = type.equals("join") ? left.join(table, joiner, serdes) : left.leftJoin(table, joiner, serdes);
        break;
      }
      case "sg": {
        GlobalKTable<String, String> table = builder.globalTable("right", strings);
        KeyValueMapper<String, String, String> mapper = (k, v) -> globalKey(v);
        joined = type.equals("join") ? left.join(table, mapper, joiner) : left.leftJoin(table, mapper, joiner);
        break;
      }
      default:
        throw new IllegalArgumentException(kind);
    }
    joined.process(() -> new Processor<String, String, Void, Void>() {
      public void process(org.apache.kafka.streams.processor.api.Record<String, String> r) {
        out.add("out " + (r.key() == null ? "-" : r.key()) + " " + r.value() + " " + r.timestamp());
      }
    });

    try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props, Instant.ofEpochMilli(0))) {
      TestInputTopic<String, String> leftInput = driver.createInputTopic("left", new StringSerializer(), new StringSerializer());
      TestInputTopic<String, String> rightInput = driver.createInputTopic("right", new StringSerializer(), new StringSerializer());
      Map<String, TestOutputTopic<byte[], byte[]>> changelogs = new TreeMap<>();
      int index = 0;
      for (String[] r : body) {
        out.clear();
        TestInputTopic<String, String> input = r[0].equals("l") ? leftInput : rightInput;
        input.pipeInput(new TestRecord<>(nullable(r[1]), nullable(r[3]), Instant.ofEpochMilli(Long.parseLong(r[2]))));
        result.append("rec ").append(index++).append('\n');
        for (String o : out) result.append(o).append('\n');
        for (String topic : driver.producedTopicNames()) {
          if (topic.endsWith("-changelog") && !changelogs.containsKey(topic)) {
            changelogs.put(topic, driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer()));
          }
        }
        for (Map.Entry<String, TestOutputTopic<byte[], byte[]>> entry : changelogs.entrySet()) {
          String store = entry.getKey().substring("app-".length(), entry.getKey().length() - "-changelog".length());
          for (TestRecord<byte[], byte[]> c : entry.getValue().readRecordsToList()) {
            result.append("log ").append(store).append(' ').append(HexFormat.of().formatHex(c.key())).append(' ')
                .append(c.value() == null ? "-" : HexFormat.of().formatHex(c.value())).append(' ')
                .append(c.timestamp()).append('\n');
          }
        }
      }
    }
  }
}
