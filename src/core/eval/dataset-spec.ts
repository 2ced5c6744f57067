import path from 'node:path';
import { CascadeError } from '../errors.js';

/** A dataset to evaluate on, parsed from `fddb:<root>[:folds]` or `wider:<root>`. */
export type DatasetSpec = { kind: 'fddb'; root: string; folds?: number[] } | { kind: 'wider'; root: string };

/** Parses fold lists such as `1,2`, `6-10` or `1-3,5`. */
export function parseFolds(text: string): number[] {
  const folds = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) {
      throw new CascadeError(`Invalid fold list "${text}": expected numbers and ranges such as 1,2 or 6-10.`);
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (let fold = first; fold <= last; fold += 1) {
      folds.add(fold);
    }
  }
  return [...folds].sort((a, b) => a - b);
}

/** Parses a `--dataset` value. */
export function parseDatasetSpec(text: string): DatasetSpec {
  const separator = text.indexOf(':');
  const kind = separator < 0 ? text : text.slice(0, separator);
  const rest = separator < 0 ? '' : text.slice(separator + 1);
  if (kind === 'wider') {
    if (!rest) {
      throw new CascadeError('Missing WIDER FACE root in --dataset: expected wider:<root>.');
    }
    return { kind: 'wider', root: path.resolve(rest) };
  }
  if (kind === 'fddb') {
    // The fold list is the part after the last colon when it looks like one; roots may contain colons.
    const foldMatch = /^(.*):([\d,\s-]+)$/.exec(rest);
    const root = foldMatch ? (foldMatch[1] as string) : rest;
    if (!root) {
      throw new CascadeError('Missing FDDB root in --dataset: expected fddb:<root>[:folds].');
    }
    return {
      kind: 'fddb',
      root: path.resolve(root),
      folds: foldMatch ? parseFolds(foldMatch[2] as string) : undefined,
    };
  }
  throw new CascadeError(
    `Unknown dataset "${kind}" in --dataset "${text}": expected fddb:<root>[:folds] or wider:<root>.`,
  );
}
