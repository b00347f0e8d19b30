// Prints Kafka Streams' TopologyDescription of the join topologies that join-golden.test.ts builds
// with Samsa's DSL (node, store and repartition topic names must be Kafka's), into topologies.txt.
// Run by ./generate.sh.
import java.nio.file.*;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.*;
import org.apache.kafka.streams.kstream.*;

public class JoinTopologies {
  static final Consumed<String, String> STRINGS = Consumed.with(Serdes.String(), Serdes.String());
  static final ValueJoiner<String, String, String> JOINER = (a, b) -> a + b;
  static final JoinWindows WINDOWS = JoinWindows.ofTimeDifferenceWithNoGrace(Duration.ofMillis(10));

  public static void main(String[] args) throws Exception {
    StringBuilder out = new StringBuilder();

    for (String type : new String[] {"join", "left", "outer"}) {
      // Stream–stream, unnamed.
      StreamsBuilder b = new StreamsBuilder();
      KStream<String, String> l = b.stream("left", STRINGS);
      KStream<String, String> r = b.stream("right", STRINGS);
      streamJoin(type, l, r, StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String())).to("out");
      out.append("topology ss-").append(type).append('\n').append(b.build().describe()).append("end\n");

      // Stream–stream after key changes on both sides, with processor and store names.
      StreamsBuilder n = new StreamsBuilder();
      KStream<String, String> nl = n.stream("left", STRINGS).selectKey((k, v) -> v);
      KStream<String, String> nr = n.stream("right", STRINGS).map((k, v) -> KeyValue.pair(v, k));
      streamJoin(type, nl, nr, StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String())
              .withName("jn").withStoreName("js")).to("out");
      out.append("topology ss-").append(type).append("-named\n").append(n.build().describe()).append("end\n");
    }

    // Stream–stream after a key change on the left, unnamed; then the same re-keyed stream joined
    // again (Kafka reuses its repartition topic), and a store name without a processor name.
    StreamsBuilder rk = new StreamsBuilder();
    KStream<String, String> rl = rk.stream("left", STRINGS).selectKey((k, v) -> v);
    KStream<String, String> rr = rk.stream("right", STRINGS);
    rl.join(rr, JOINER, WINDOWS, StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String())).to("out1");
    rl.leftJoin(rr, JOINER, WINDOWS, StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String()).withStoreName("s2")).to("out2");
    out.append("topology ss-rekeyed-twice\n").append(rk.build().describe()).append("end\n");

    // Stream–table: an unmaterialized source table (materialized for the join), inner join.
    StreamsBuilder st = new StreamsBuilder();
    KTable<String, String> t = st.table("table", STRINGS);
    st.stream("left", STRINGS).join(t, JOINER).to("out");
    out.append("topology st-join\n").append(st.build().describe()).append("end\n");

    // Stream–table: left join after a key change, with a Joined name (names the repartition topic).
    StreamsBuilder stl = new StreamsBuilder();
    KTable<String, String> tl = stl.table("table", STRINGS, Materialized.as("table-store"));
    stl.stream("left", STRINGS).selectKey((k, v) -> v)
        .leftJoin(tl, JOINER, Joined.with(Serdes.String(), Serdes.String(), Serdes.String()).withName("enrich"))
        .to("out");
    out.append("topology st-left-named\n").append(stl.build().describe()).append("end\n");

    // Stream–table: left join after a key change, unnamed.
    StreamsBuilder stu = new StreamsBuilder();
    KTable<String, String> tu = stu.table("table", STRINGS);
    stu.stream("left", STRINGS).map((k, v) -> KeyValue.pair(v, k))
        .leftJoin(tu, JOINER, Joined.with(Serdes.String(), Serdes.String(), Serdes.String()))
        .to("out");
    out.append("topology st-left-rekeyed\n").append(stu.build().describe()).append("end\n");

    // Stream–global-table joins (no repartitioning even after a key change).
    StreamsBuilder sg = new StreamsBuilder();
    GlobalKTable<String, String> g = sg.globalTable("global", STRINGS);
    KStream<String, String> s = sg.stream("left", STRINGS);
    s.join(g, (k, v) -> v, JOINER).to("out1");
    s.selectKey((k, v) -> v).leftJoin(g, (k, v) -> k, JOINER).to("out2");
    s.leftJoin(g, (k, v) -> v, JOINER, Named.as("named-global")).to("out3");
    out.append("topology sg\n").append(sg.build().describe()).append("end\n");

    Files.writeString(Path.of(args[0]), out.toString());
  }

  static KStream<String, String> streamJoin(String type, KStream<String, String> l, KStream<String, String> r,
                                            StreamJoined<String, String, String> joined) {
    return type.equals("join") ? l.join(r, JOINER, WINDOWS, joined)
        : type.equals("left") ? l.leftJoin(r, JOINER, WINDOWS, joined)
        : l.outerJoin(r, JOINER, WINDOWS, joined);
  }
}
