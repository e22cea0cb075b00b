import { CompressionCodecs, CompressionTypes } from "kafkajs";

/**
 * market.ticks and market.quotes are declared with compression.type=lz4, so brokers store LZ4 frames
 * and kafkajs, which has no LZ4 codec of its own, cannot read them. lz4js is pure JavaScript (no native
 * build). Decompression only: the smoke producer sends uncompressed and the topic compresses.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lz4 = require("lz4js") as { decompress(src: Uint8Array, maxSize?: number): Uint8Array };

export function registerLz4Codec(): void {
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    async compress(): Promise<Buffer> {
      throw new Error("lz4 compression is not available in this client; produce uncompressed (the topic compresses)");
    },
    async decompress(buffer: Buffer): Promise<Buffer> {
      return Buffer.from(lz4.decompress(buffer));
    },
  });
}
