import { decompress } from "fzstd";
import { CompressionCodecs, CompressionTypes } from "kafkajs";

/**
 * The CDC and domain-event topics are declared with compression.type=zstd, so brokers store zstd
 * batches whatever the producer sent, and kafkajs has no zstd codec of its own. fzstd is pure
 * JavaScript (no native build, which npm here would not run). Decompression only: our producers send
 * uncompressed and the broker compresses.
 */
export function registerZstdCodec(): void {
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    async compress(): Promise<Buffer> {
      throw new Error("zstd compression is not available in this client; produce uncompressed (the topic compresses)");
    },
    async decompress(buffer: Buffer): Promise<Buffer> {
      return Buffer.from(decompress(buffer));
    },
  });
}
