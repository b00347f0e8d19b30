// CRC-32C (Castagnoli), the checksum of record batch v2. Backed by @node-rs/crc32, which uses the
// SSE4.2/ARMv8 CRC instructions where the CPU has them.
import { crc32c as nativeCrc32c } from "@node-rs/crc32";

/**
 * CRC-32C of `bytes` as an unsigned 32-bit number. `initial` continues a previous checksum, so a
 * value spread over several arrays can be summed piece by piece.
 */
export function crc32c(bytes: Uint8Array, initial = 0): number {
  return nativeCrc32c(bytes, initial) >>> 0;
}
