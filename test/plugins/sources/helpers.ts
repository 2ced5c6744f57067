import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Logger } from '../../../src/core/logger.js';
import type { AnnotatedImage } from '../../../src/core/types.js';
import { SHARED_DATA } from '../../helpers/temp-dir.js';

/** The read-only test data next to the repository, or at $CASCADE_DATA_ROOT. */
export { SHARED_DATA };

/** Creates a logger that records its warnings, so that tests can check skip reports through `text()`. */
export function recordingLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return { logger: new Logger({ level: 'warn', stream }), text: () => chunks.join('') };
}

export async function collectImages(images: AsyncIterable<AnnotatedImage>): Promise<AnnotatedImage[]> {
  const list: AnnotatedImage[] = [];
  for await (const image of images) {
    list.push(image);
  }
  return list;
}

export async function makeTempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `cascade-${prefix}-`));
}

/** Writes a copy of a real JPEG cut to its first `keepBytes` bytes. */
export async function writeTruncatedJpeg(target: string, keepBytes = 2000): Promise<void> {
  const original = await fs.readFile(path.join(SHARED_DATA, 'fddb/originalPics/2002/07/19/big/img_423.jpg'));
  await fs.writeFile(target, original.subarray(0, keepBytes));
}
