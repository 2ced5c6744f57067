import fs from 'node:fs/promises';
import path from 'node:path';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

/** True for names ending in .jpg, .jpeg or .png, in any case. */
export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** Lists every JPEG or PNG file under `root`, recursively, as absolute paths in sorted order. */
export async function listImageFiles(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && isImageFile(entry.name))
    .map((entry) => path.resolve(entry.parentPath, entry.name))
    .sort();
}
