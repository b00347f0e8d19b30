// Public API of record batches: the v2 batch codec, its compression codecs and CRC-32C.
export {
  batchHeaderBytes,
  decodeControlRecord,
  decodeRecords,
  encodeControlRecordKey,
  encodeEndTransactionMarker,
  encodeRecordBatch,
  iterateBatches,
  iterateRecords,
  logOverheadBytes,
  patchBaseOffset,
  patchLogAppendTime,
  patchPartitionLeaderEpoch,
  readBatchHeader,
  validateBatch,
} from "./batch.ts";
export type {
  ControlRecord,
  ControlRecordType,
  DecodeRecordsOptions,
  DecodedBatch,
  DecodedRecord,
  EncodeRecordBatchOptions,
  EndTransactionMarkerOptions,
  RecordBatchHeader,
  RecordBatchView,
  RecordHeader,
  RecordInput,
  TimestampType,
} from "./batch.ts";
export { compress, compressionCodecOf, compressionCodecs, compressionId, decompress } from "./compression.ts";
export type { CompressOptions, CompressionCodec, DecompressOptions } from "./compression.ts";
export { crc32c } from "./crc32c.ts";
