import sharp from 'sharp';
import type { ScoredBox } from '../geometry.js';

// Box outline width in pixels, and the score label's font size, relative to the image's shorter side.
const LINE_WIDTH_FRACTION = 1 / 200;
const LABEL_FRACTION = 1 / 40;

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Builds an SVG overlay with one outlined rectangle and its score per box. */
export function boxesOverlay(width: number, height: number, boxes: readonly ScoredBox[]): string {
  const shorter = Math.min(width, height);
  const line = Math.max(1, Math.round(shorter * LINE_WIDTH_FRACTION));
  const font = Math.max(10, Math.round(shorter * LABEL_FRACTION));
  const shapes = boxes.map((box) => {
    const label = escapeXml(box.score.toFixed(2));
    const labelY = box.y > font ? box.y - line : box.y + box.h + font;
    return (
      `<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="#00ff00" stroke-width="${line}"/>` +
      `<text x="${box.x}" y="${labelY}" font-family="sans-serif" font-size="${font}" fill="#00ff00">${label}</text>`
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
}

/** Writes a copy of an image with the boxes drawn on it; the format follows the output file's extension. */
export async function writeAnnotatedImage(input: string, output: string, boxes: readonly ScoredBox[]): Promise<void> {
  const metadata = await sharp(input).metadata();
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  const overlay = Buffer.from(boxesOverlay(width, height, boxes));
  await sharp(input)
    .composite([{ input: overlay, top: 0, left: 0 }])
    .toFile(output);
}
