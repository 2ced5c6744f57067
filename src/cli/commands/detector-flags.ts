import type { Command } from 'commander';
import {
  type DetectorOptions,
  detectorOptionsSchema,
  type ResolvedDetectorOptions,
} from '../../core/detect/detector-options.js';

// The detector's own defaults, shown in the help. A cascade's saved options take their place.
const DEFAULTS = detectorOptionsSchema.parse({});

/** Detector options shared by `cascade detect` and `cascade eval`; unset flags keep the run's saved values. */
export interface DetectorFlags {
  minFace?: number;
  pyramidFactor?: number;
  stride?: number;
  threshold12?: number;
  threshold24?: number;
  threshold48?: number;
  calibrationThreshold?: number;
  nms12?: number;
  nms24?: number;
  nms48?: number;
}

function number(name: string): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) {
      throw new Error(`${name} must be a number, received "${value}"`);
    }
    return parsed;
  };
}

/** Adds the detector flags to a command. Unset, each option takes the cascade's saved value, else the default shown. */
export function detectorFlags(command: Command): Command {
  return command
    .option(
      '--min-face <pixels>',
      `smallest face side to find, in pixels (default: ${DEFAULTS.minFaceSize})`,
      number('--min-face'),
    )
    .option(
      '--pyramid-factor <factor>',
      `scale between pyramid levels, in (0, 1) (default: ${DEFAULTS.pyramidFactor})`,
      number('--pyramid-factor'),
    )
    .option(
      '--stride <pixels>',
      `12x12 window step on each scaled image, a multiple of 2 (default: ${DEFAULTS.stride})`,
      number('--stride'),
    )
    .option(
      '--threshold12 <p>',
      `12-net face probability threshold (default: the one the cascade picked, else ${DEFAULTS.thresholds.net12})`,
      number('--threshold12'),
    )
    .option(
      '--threshold24 <p>',
      `24-net face probability threshold (default: the one the cascade picked, else ${DEFAULTS.thresholds.net24})`,
      number('--threshold24'),
    )
    .option(
      '--threshold48 <p>',
      `48-net face probability threshold (default: ${DEFAULTS.thresholds.net48})`,
      number('--threshold48'),
    )
    .option(
      '--calibration-threshold <p>',
      `calibration patterns above this probability are averaged (default: ${DEFAULTS.calibrationThreshold})`,
      number('--calibration-threshold'),
    )
    .option('--nms12 <iou>', `NMS IoU after the 12-stage (default: ${DEFAULTS.nms.net12})`, number('--nms12'))
    .option('--nms24 <iou>', `NMS IoU after the 24-stage (default: ${DEFAULTS.nms.net24})`, number('--nms24'))
    .option(
      '--nms48 <iou>',
      `NMS IoU across the image after the 48-net (default: ${DEFAULTS.nms.net48})`,
      number('--nms48'),
    );
}

/** Merges the flags that were given over the detector options saved with the cascade. */
export function detectorOptionsFrom(flags: DetectorFlags, saved: DetectorOptions): DetectorOptions {
  const defined = <T extends object>(value: T) =>
    Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
  return {
    ...saved,
    ...defined({
      minFaceSize: flags.minFace,
      pyramidFactor: flags.pyramidFactor,
      stride: flags.stride,
      calibrationThreshold: flags.calibrationThreshold,
    }),
    thresholds: {
      ...saved.thresholds,
      ...defined({ net12: flags.threshold12, net24: flags.threshold24, net48: flags.threshold48 }),
    },
    nms: { ...saved.nms, ...defined({ net12: flags.nms12, net24: flags.nms24, net48: flags.nms48 }) },
  };
}

/** Describes the options a detector runs with (saved values with the flags over them), for the log. */
export function describeDetector(options: ResolvedDetectorOptions): string {
  const { thresholds, nms } = options;
  return (
    `min face ${options.minFaceSize} px, pyramid factor ${options.pyramidFactor}, stride ${options.stride}; ` +
    `thresholds 12-net ${round(thresholds.net12)}, 24-net ${round(thresholds.net24)}, 48-net ${round(thresholds.net48)}; ` +
    `NMS IoU ${nms.net12}, ${nms.net24}, ${nms.net48}`
  );
}

/** Rounds to four significant digits for the log. */
function round(value: number): number {
  return Number(value.toPrecision(4));
}
