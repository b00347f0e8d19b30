// Differential interop with Apache Kafka's own record batch code (kafka-clients): reads batches that
// Samsa wrote, writes batches with every codec for Samsa to read, and judges single batches.
// Run by packages/protocol/test/records/java-interop.test.ts in source-launcher mode:
//   java -cp '<kafka libs>/*' RecordsInterop.java decode FILE | encode FILE | check FILE ...
// Output is one JSON object per line; int64 values are strings so JavaScript keeps them exact.
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

public class RecordsInterop {
    static final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        for (int i = 0; i + 1 < args.length; i += 2) {
            Path file = Path.of(args[i + 1]);
            switch (args[i]) {
                case "decode" -> decode("decode", Files.readAllBytes(file));
                case "encode" -> {
                    byte[] bytes = encode();
                    Files.write(file, bytes);
                    decode("encode", bytes);
                }
                case "check" -> check(Files.readAllBytes(file));
                default -> throw new IllegalArgumentException("unknown mode " + args[i]);
            }
        }
        out.flush();
    }

    /** Prints every batch and record of a records field, validating as a consumer with check.crcs does. */
    static void decode(String source, byte[] bytes) {
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
        for (MutableRecordBatch batch : records.batches()) {
            batch.ensureValid();
            out.println("{\"src\":\"" + source + "\",\"t\":\"batch\",\"baseOffset\":\"" + batch.baseOffset()
                + "\",\"lastOffset\":\"" + batch.lastOffset()
                + "\",\"count\":" + batch.countOrNull()
                + ",\"sizeInBytes\":" + batch.sizeInBytes()
                + ",\"compression\":\"" + batch.compressionType().name + "\""
                + ",\"timestampType\":\"" + batch.timestampType().name + "\""
                + ",\"maxTimestamp\":\"" + batch.maxTimestamp()
                + "\",\"transactional\":" + batch.isTransactional()
                + ",\"control\":" + batch.isControlBatch()
                + ",\"producerId\":\"" + batch.producerId()
                + "\",\"producerEpoch\":" + batch.producerEpoch()
                + ",\"baseSequence\":" + batch.baseSequence()
                + ",\"partitionLeaderEpoch\":" + batch.partitionLeaderEpoch()
                + ",\"crc\":\"" + batch.checksum() + "\"}");
            for (Record record : batch) {
                record.ensureValid();
                StringBuilder line = new StringBuilder();
                line.append("{\"src\":\"").append(source).append("\",\"t\":\"record\",\"offset\":\"").append(record.offset())
                    .append("\",\"timestamp\":\"").append(record.timestamp())
                    .append("\",\"key\":").append(base64(record.key()))
                    .append(",\"value\":").append(base64(record.value()))
                    .append(",\"headers\":[");
                Header[] headers = record.headers();
                for (int h = 0; h < headers.length; h++) {
                    if (h > 0) line.append(',');
                    byte[] value = headers[h].value();
                    line.append("{\"key\":").append(jsonString(headers[h].key())).append(",\"value\":")
                        .append(value == null ? "null" : "\"" + Base64.getEncoder().encodeToString(value) + "\"").append('}');
                }
                line.append(']');
                if (batch.isControlBatch()) {
                    ControlRecordType type = ControlRecordType.parse(record.key());
                    line.append(",\"controlType\":\"").append(type.name()).append('"');
                    if (type == ControlRecordType.COMMIT || type == ControlRecordType.ABORT) {
                        line.append(",\"coordinatorEpoch\":").append(EndTransactionMarker.deserialize(record).coordinatorEpoch());
                    }
                }
                out.println(line.append('}'));
            }
        }
    }

    /**
     * Judges each case of a file of [int32 length][bytes] cases: accepted when every batch is
     * valid and every record can be read, as a consumer (and the broker's validation) would.
     */
    static void check(byte[] bytes) {
        ByteBuffer cases = ByteBuffer.wrap(bytes);
        int index = 0;
        while (cases.remaining() >= 4) {
            byte[] one = new byte[cases.getInt()];
            cases.get(one);
            String error = null;
            int recordCount = 0;
            try {
                for (MutableRecordBatch batch : MemoryRecords.readableRecords(ByteBuffer.wrap(one)).batches()) {
                    batch.ensureValid();
                    for (Record record : batch) {
                        record.ensureValid();
                        recordCount++;
                    }
                }
            } catch (Throwable t) {
                error = t.getClass().getSimpleName() + ": " + t.getMessage();
            }
            out.println("{\"t\":\"check\",\"index\":" + index + ",\"ok\":" + (error == null) + ",\"records\":" + recordCount
                + ",\"error\":" + (error == null ? "null" : jsonString(error)) + "}");
            index++;
        }
    }

    /** Batches written by Kafka's MemoryRecordsBuilder: every codec, producer state, LogAppendTime, markers. */
    static byte[] encode() throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        CompressionType[] types = {CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD};
        long baseOffset = 0;
        for (CompressionType type : types) {
            all.write(build(type, TimestampType.CREATE_TIME, baseOffset, RecordBatch.NO_TIMESTAMP, -1L, (short) -1, -1, false, 7));
            baseOffset += 1000;
        }
        all.write(build(CompressionType.LZ4, TimestampType.CREATE_TIME, baseOffset, RecordBatch.NO_TIMESTAMP, 4242L, (short) 3, 17, true, 9));
        baseOffset += 1000;
        all.write(build(CompressionType.ZSTD, TimestampType.LOG_APPEND_TIME, baseOffset, 1_800_000_000_000L, -1L, (short) -1, -1, false, 9));
        baseOffset += 1000;
        all.write(bytesOf(MemoryRecords.withEndTransactionMarker(baseOffset, 1_700_000_000_123L, 9, 4242L, (short) 3,
            new EndTransactionMarker(ControlRecordType.COMMIT, 11))));
        all.write(bytesOf(MemoryRecords.withEndTransactionMarker(baseOffset + 1, 1_700_000_000_124L, 9, 4242L, (short) 3,
            new EndTransactionMarker(ControlRecordType.ABORT, 12))));
        return all.toByteArray();
    }

    static byte[] build(CompressionType type, TimestampType timestampType, long baseOffset, long logAppendTime,
                        long producerId, short producerEpoch, int baseSequence, boolean transactional, int leaderEpoch) {
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1 << 20), RecordBatch.CURRENT_MAGIC_VALUE,
            Compression.of(type).build(), timestampType, baseOffset, logAppendTime, producerId, producerEpoch, baseSequence,
            transactional, leaderEpoch);
        long timestamp = 1_700_000_000_000L;
        builder.append(timestamp, utf8("key-0"), utf8("value-0"),
            new Header[] {new RecordHeader("h1", utf8("v1")), new RecordHeader("ключ☃", null), new RecordHeader("", new byte[0])});
        builder.append(timestamp + 5, null, new byte[0]);
        builder.append(timestamp - 10, new byte[0], null);
        byte[] large = new byte[100_000];
        for (int i = 0; i < large.length; i++) large[i] = (byte) ((i * 31) % 251);
        builder.append(timestamp + 1, utf8("large"), large);
        for (int i = 0; i < 200; i++) builder.append(timestamp + 100 + i, utf8("k" + i), utf8("value " + i + " " + "x".repeat(i % 50)));
        return bytesOf(builder.build());
    }

    static byte[] bytesOf(MemoryRecords records) {
        ByteBuffer buffer = records.buffer().duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String base64(ByteBuffer buffer) {
        if (buffer == null) return "null";
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return "\"" + Base64.getEncoder().encodeToString(bytes) + "\"";
    }

    /** JSON string with every non-ASCII UTF-16 unit escaped, so surrogate pairs survive as \\uXXXX pairs. */
    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
