/** Log levels in increasing severity. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// Non-interactive output (CI logs, files) gets a progress line at most this often.
const PROGRESS_LOG_INTERVAL_MS = 5_000;
// An interactive bar is redrawn at most this often.
const PROGRESS_REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 24;
// Elapsed seconds before a progress line shows a rate.
const MIN_RATE_SECONDS = 0.5;

export interface LoggerOptions {
  level?: LogLevel;
  /** Output stream, stderr by default so that stdout stays free for results such as JSON. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** A progress bar for long work: counts, rate and extra fields such as the loss. */
export interface Progress {
  /** Advances by `count` items and replaces the extra fields shown after the rate. */
  tick(count?: number, fields?: Record<string, string | number>): void;
  /** Ends the bar and prints its final state once. */
  done(fields?: Record<string, string | number>): void;
}

/** A leveled logger that writes to stderr and draws progress bars on a terminal. */
export class Logger {
  readonly level: LogLevel;
  readonly #stream: NodeJS.WritableStream & { isTTY?: boolean };

  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? 'info';
    this.#stream = options.stream ?? process.stderr;
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.level) && level !== 'silent';
  }

  debug(message: string): void {
    this.#write('debug', message);
  }

  info(message: string): void {
    this.#write('info', message);
  }

  warn(message: string): void {
    this.#write('warn', message);
  }

  error(message: string): void {
    this.#write('error', message);
  }

  /**
   * Warns once about skipped inputs: the count, the first few examples and their reasons.
   * Call it after the work, with every skipped item collected, instead of one line per item.
   */
  warnSkipped(what: string, items: ReadonlyArray<{ item: string; reason: string }>, examples = 5): void {
    if (items.length === 0) {
      return;
    }
    const shown = items.slice(0, examples).map(({ item, reason }) => `  ${item}: ${reason}`);
    const more = items.length > examples ? `\n  ... and ${items.length - examples} more` : '';
    this.warn(`skipped ${items.length} ${what}:\n${shown.join('\n')}${more}`);
  }

  /**
   * Opens a progress bar. `done` counts items finished before it opened, such as the steps of an
   * epoch before a resume: they move the bar but do not count in the rate.
   */
  progress(label: string, total?: number, unit = 'items', done = 0): Progress {
    return new ProgressBar(this, this.#stream, label, total, unit, done);
  }

  #write(level: LogLevel, message: string): void {
    if (!this.enabled(level)) {
      return;
    }
    const prefix = level === 'info' ? '' : `${level}: `;
    this.#stream.write(`${prefix}${message}\n`);
  }
}

class ProgressBar implements Progress {
  readonly #logger: Logger;
  readonly #stream: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #label: string;
  readonly #total: number | undefined;
  readonly #unit: string;
  readonly #started = Date.now();
  /** Items done before the bar opened. */
  readonly #initial: number;
  #count: number;
  /** Time of the last increase of the count, where the final rate ends. */
  #countedAt = this.#started;
  #fields: Record<string, string | number> = {};
  #lastDraw = 0;
  /** The last line written to a log file, so that the final line does not repeat it. */
  #lastLine = '';
  #finished = false;

  constructor(
    logger: Logger,
    stream: NodeJS.WritableStream & { isTTY?: boolean },
    label: string,
    total: number | undefined,
    unit: string,
    done: number,
  ) {
    this.#initial = done;
    this.#count = done;
    this.#logger = logger;
    this.#stream = stream;
    // A log file gets its first line after one log interval, not at the first item with no rate
    // yet, so a short bar writes only its final line.
    this.#lastDraw = stream.isTTY ? 0 : this.#started;
    this.#label = label;
    this.#total = total;
    this.#unit = unit;
  }

  tick(count = 1, fields?: Record<string, string | number>): void {
    this.#count += count;
    const now = Date.now();
    if (count > 0) {
      this.#countedAt = now;
    }
    if (fields) {
      this.#fields = fields;
    }
    // In a log file, only progress makes a line: fields that change with no new items (such as
    // validation metrics) wait for the final line, whose time ends at the last item.
    if (!this.#stream.isTTY && count === 0) {
      return;
    }
    const interval = this.#stream.isTTY ? PROGRESS_REDRAW_INTERVAL_MS : PROGRESS_LOG_INTERVAL_MS;
    if (now - this.#lastDraw >= interval) {
      this.#lastDraw = now;
      this.#draw(false);
    }
  }

  done(fields?: Record<string, string | number>): void {
    if (this.#finished) {
      return;
    }
    this.#finished = true;
    if (fields) {
      this.#fields = fields;
    }
    this.#draw(true);
  }

  #draw(final: boolean): void {
    if (!this.#logger.enabled('info')) {
      return;
    }
    // The final line's time and rate end at the last item, so an epoch's bar leaves out validation.
    const seconds = Math.max(((final ? this.#countedAt : Date.now()) - this.#started) / 1000, 1e-3);
    const rate = (this.#count - this.#initial) / seconds;
    const parts: string[] = [this.#label];
    if (this.#total !== undefined && this.#total > 0) {
      const fraction = Math.min(this.#count / this.#total, 1);
      const filled = Math.round(fraction * BAR_WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`);
      parts.push(`${this.#count}/${this.#total}`);
    } else {
      parts.push(`${this.#count}`);
    }
    // A rate over the first fraction of a second is noise (one batch in a millisecond), so it waits.
    const rateText = seconds >= MIN_RATE_SECONDS || final ? formatRate(rate) : '-';
    parts.push(`${rateText} ${this.#unit}/s`, `${seconds.toFixed(1)} s`);
    for (const [key, value] of Object.entries(this.#fields)) {
      parts.push(`${key}=${typeof value === 'number' ? formatNumber(value) : value}`);
    }
    const line = parts.join(' ');
    if (this.#stream.isTTY) {
      this.#stream.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    } else if (line !== this.#lastLine) {
      // The last item's tick may already have written the final line.
      this.#lastLine = line;
      this.#stream.write(`${line}\n`);
    }
  }
}

function formatRate(rate: number): string {
  return rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) {
    return String(value);
  }
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(4);
}
