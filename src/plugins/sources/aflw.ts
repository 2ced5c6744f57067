import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { DataSource } from '../../core/data-source.js';
import { CascadeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { definePlugin } from '../../core/registry.js';
import { resolveDataPath } from '../../core/runtime.js';
import type { AnnotatedImage, AttributeValue, Face } from '../../core/types.js';
import { boxProblem, requirePath, type SkippedItem, sourceBaseOptions } from './common.js';

// Tables every AFLW database has; pose and metadata tables are read when present.
const REQUIRED_TABLES = ['Faces', 'FaceImages', 'FaceRect'] as const;

export const aflwOptions = sourceBaseOptions
  .extend({
    /** SQLite file, relative to root. */
    database: z.string().default('aflw.sqlite'),
    /** Folder that `FaceImages.filepath` is relative to, relative to root. */
    imagesDir: z.string().default('flickr'),
  })
  .strict();

declare module '../../core/config/plugin-types.js' {
  interface SourceTypes {
    aflw: z.input<typeof aflwOptions>;
  }
}

interface FaceRow {
  face_id: number;
  file_id: string;
  filepath: string;
  width: number;
  height: number;
  x: number;
  y: number;
  w: number;
  h: number;
  roll?: number | null;
  pitch?: number | null;
  yaw?: number | null;
  sex?: string | null;
  occluded?: number | null;
  glasses?: number | null;
}

/**
 * AFLW (Koestinger et al., 2011): an SQLite database whose Faces, FaceImages and FaceRect tables
 * give each face's image and rectangle, with pose (FacePose) and metadata (FaceMetaData) read
 * where those tables exist. Rectangles may extend past the image; those are kept.
 */
export class AflwSource implements DataSource {
  readonly name: string;
  readonly #database: string;
  readonly #imagesDir: string;
  readonly #logger: Logger;

  constructor(options: { name: string; database: string; imagesDir: string; logger: Logger }) {
    this.name = options.name;
    this.#database = options.database;
    this.#imagesDir = options.imagesDir;
    this.#logger = options.logger;
  }

  async *images(): AsyncIterable<AnnotatedImage> {
    await requirePath(this.#database, 'file', `AFLW database of source "${this.name}"`);
    const rows = this.#readRows();
    const skipped: SkippedItem[] = [];

    const byFile = new Map<string, FaceRow[]>();
    for (const row of rows) {
      const list = byFile.get(row.filepath) ?? [];
      list.push(row);
      byFile.set(row.filepath, list);
    }

    for (const [filepath, faceRows] of byFile) {
      const file = path.resolve(this.#imagesDir, filepath);
      if (!(await fs.stat(file).catch(() => undefined))) {
        skipped.push({ item: filepath, reason: `image file not found: ${file}` });
        continue;
      }
      const { width, height } = faceRows[0] as FaceRow;
      const faces: Face[] = [];
      for (const row of faceRows) {
        const box = { x: row.x, y: row.y, w: row.w, h: row.h };
        const problem = boxProblem(box, width, height);
        if (problem) {
          skipped.push({ item: `${filepath} face ${row.face_id}`, reason: problem });
          continue;
        }
        faces.push({ box, attributes: attributesOf(row) });
      }
      yield { id: filepath, source: this.name, path: file, width, height, faces };
    }
    this.#logger.warnSkipped(`AFLW items in source "${this.name}"`, skipped);
  }

  #readRows(): FaceRow[] {
    let db: Database.Database;
    try {
      db = new Database(this.#database, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new CascadeError(`Failed to open AFLW database ${this.#database}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      const tables = this.#tables(db);
      const missing = REQUIRED_TABLES.filter((table) => !tables.has(table));
      if (missing.length > 0) {
        throw new CascadeError(
          `AFLW database ${this.#database} is missing table(s) ${missing.join(', ')}; found: ${[...tables].join(', ') || 'no tables'}. ` +
            'Point the source at the aflw.sqlite file of the AFLW release.',
        );
      }
      const pose = tables.has('FacePose');
      const meta = tables.has('FaceMetaData');
      const sql = [
        'SELECT f.face_id, f.file_id, i.filepath, i.width, i.height, r.x, r.y, r.w, r.h',
        pose ? ', p.roll, p.pitch, p.yaw' : '',
        meta ? ', m.sex, m.occluded, m.glasses' : '',
        ' FROM Faces f JOIN FaceImages i ON i.file_id = f.file_id JOIN FaceRect r ON r.face_id = f.face_id',
        pose ? ' LEFT JOIN FacePose p ON p.face_id = f.face_id' : '',
        meta ? ' LEFT JOIN FaceMetaData m ON m.face_id = f.face_id' : '',
        ' ORDER BY i.filepath, f.face_id',
      ].join('');
      return db.prepare(sql).all() as FaceRow[];
    } catch (error) {
      if (error instanceof CascadeError) {
        throw error;
      }
      throw new CascadeError(`Failed to read AFLW database ${this.#database}: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      db.close();
    }
  }

  #tables(db: Database.Database): Set<string> {
    try {
      const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
      return new Set(rows.map((row) => row.name));
    } catch (error) {
      throw new CascadeError(
        `Failed to read AFLW database ${this.#database}: ${(error as Error).message}. Is it an SQLite file?`,
        { cause: error },
      );
    }
  }
}

function attributesOf(row: FaceRow): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = { faceId: row.face_id, fileId: row.file_id };
  for (const key of ['roll', 'pitch', 'yaw', 'sex', 'occluded', 'glasses'] as const) {
    if (key in row) {
      attributes[key] = row[key] ?? null;
    }
  }
  return attributes;
}

export const aflwSource = definePlugin({
  kind: 'source',
  type: 'aflw',
  description: 'AFLW: faces from aflw.sqlite (Faces, FaceImages, FaceRect, with pose and metadata) over flickr/.',
  options: aflwOptions,
  create: (options, context) => {
    const root = resolveDataPath(context.runtime, options.root);
    return new AflwSource({
      name: options.name ?? 'aflw',
      database: path.resolve(root, options.database),
      imagesDir: path.resolve(root, options.imagesDir),
      logger: context.logger,
    });
  },
});
