import sharp from 'sharp';
import type { RocPoint } from './fddb-score.js';

const WIDTH = 640;
const HEIGHT = 480;
const MARGIN = 60;

/** A named curve to draw. */
export interface PlotCurve {
  label: string;
  points: readonly RocPoint[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];

/**
 * Draws ROC curves (true-positive rate against false positives) as an SVG string, with false
 * positives from 0 to `maxFalsePositives` on the x axis, like the FDDB result pages.
 */
export function rocSvg(curves: readonly PlotCurve[], title: string, maxFalsePositives: number): string {
  const plotWidth = WIDTH - 2 * MARGIN;
  const plotHeight = HEIGHT - 2 * MARGIN;
  const x = (fp: number) => MARGIN + (Math.min(fp, maxFalsePositives) / maxFalsePositives) * plotWidth;
  const y = (rate: number) => HEIGHT - MARGIN - rate * plotHeight;
  const parts: string[] = [
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="${MARGIN / 2}" text-anchor="middle" font-family="sans-serif" font-size="16">${title}</text>`,
    `<rect x="${MARGIN}" y="${MARGIN}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="black"/>`,
  ];
  for (let tick = 0; tick <= 5; tick += 1) {
    const rate = tick / 5;
    const fp = (tick / 5) * maxFalsePositives;
    parts.push(
      `<text x="${MARGIN - 8}" y="${y(rate) + 4}" text-anchor="end" font-family="sans-serif" font-size="12">${rate.toFixed(1)}</text>`,
      `<text x="${x(fp)}" y="${HEIGHT - MARGIN + 18}" text-anchor="middle" font-family="sans-serif" font-size="12">${Math.round(fp)}</text>`,
      `<line x1="${MARGIN}" x2="${WIDTH - MARGIN}" y1="${y(rate)}" y2="${y(rate)}" stroke="#ddd"/>`,
    );
  }
  parts.push(
    `<text x="${WIDTH / 2}" y="${HEIGHT - 15}" text-anchor="middle" font-family="sans-serif" font-size="13">false positives</text>`,
    `<text x="15" y="${HEIGHT / 2}" text-anchor="middle" font-family="sans-serif" font-size="13" transform="rotate(-90 15 ${HEIGHT / 2})">true positive rate</text>`,
  );
  curves.forEach((curve, index) => {
    const color = COLORS[index % COLORS.length];
    // Points come by increasing threshold; draw them by increasing false positives.
    const ordered = [...curve.points].sort((a, b) => a.falsePositives - b.falsePositives);
    const path = ordered.map(
      (point) => `${x(point.falsePositives).toFixed(1)},${y(point.truePositiveRate).toFixed(1)}`,
    );
    if (path.length > 0) {
      parts.push(`<polyline points="${path.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    parts.push(
      `<text x="${MARGIN + 10}" y="${MARGIN + 20 + index * 18}" font-family="sans-serif" font-size="13" fill="${color}">${curve.label}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">${parts.join('')}</svg>`;
}

/** Writes ROC curves as a PNG file. */
export async function writeRocPng(
  file: string,
  curves: readonly PlotCurve[],
  title: string,
  maxFalsePositives: number,
): Promise<void> {
  await sharp(Buffer.from(rocSvg(curves, title, maxFalsePositives)))
    .png()
    .toFile(file);
}
