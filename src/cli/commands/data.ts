import path from 'node:path';
import type { Command } from 'commander';
import { container as rootContainer } from 'tsyringe';
import { loadPluginModules, loadProjectConfig } from '../../core/config/load.js';
import { projectSchema, type ResolvedConfig } from '../../core/config/schema.js';
import { CascadeError } from '../../core/errors.js';
import { Logger } from '../../core/logger.js';
import { type PluginContext, type PluginKind, PluginRegistry, type PluginSpec } from '../../core/registry.js';
import type { Runtime } from '../../core/runtime.js';
import { buildSampleStore, openSampleStore, writeContactSheet } from '../../core/store/index.js';
import { registerBuiltins } from '../../plugins/builtins.js';
import { collect, positiveInteger } from '../options.js';

// Default number of samples drawn onto the contact sheet of `cascade data inspect` (--count).
const DEFAULT_SHEET_SAMPLES = 64;
const DEFAULT_SHEET_COLUMNS = 8;

interface BuildCommandOptions {
  size: number;
  input: string[];
  source: string[];
  cacheDir?: string;
  mirror?: boolean;
  minFaceSize?: number;
  windowsPerImage?: number;
  seed?: number;
}

/** A build subcommand: its augmenter, the source type of --input, and its extra augmenter options. */
interface BuildKind {
  augmenter: 'positives' | 'negatives' | 'calibration';
  inputType: 'image-folder' | 'backgrounds';
  description: string;
  augmenterOptions(options: BuildCommandOptions): Record<string, unknown>;
}

const BUILD_KINDS: BuildKind[] = [
  {
    augmenter: 'positives',
    inputType: 'image-folder',
    description: 'Build a store of face crops (label 1) from face crops (--input) or annotated sources (--source).',
    augmenterOptions: (options) => ({ mirror: options.mirror ?? false, minFaceSize: options.minFaceSize ?? 0 }),
  },
  {
    augmenter: 'negatives',
    inputType: 'backgrounds',
    description:
      'Build a store of random non-face windows (label 0) from face-free images (--input) or annotated sources (--source).',
    augmenterOptions: (options) => ({
      ...(options.windowsPerImage ? { windowsPerImage: options.windowsPerImage } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    }),
  },
  {
    augmenter: 'calibration',
    inputType: 'image-folder',
    description: 'Build a store of calibration crops (labels 0..44, one per pattern) from faces in the sources.',
    augmenterOptions: (options) => ({ minFaceSize: options.minFaceSize ?? 0 }),
  },
];

export function registerDataCommand(program: Command): void {
  const data = program
    .command('data')
    .description('Build sample stores of 12, 24 or 48 pixel crops, and inspect them.');

  for (const kind of BUILD_KINDS) {
    const command = data
      .command(kind.augmenter)
      .description(kind.description)
      .requiredOption('--size <pixels>', 'crop side in pixels: 12, 24 or 48', positiveInteger('--size'))
      .option('--input <folder>', `folder of images read as an "${kind.inputType}" source (repeatable)`, collect, [])
      .option(
        '--source <type:path>',
        'annotated source as type:path, such as fddb:data/fddb or wider-face:data/wider-face-val (repeatable)',
        collect,
        [],
      )
      .option('--cache-dir <folder>', 'folder under which stores are kept (default: cacheDir of cascade.config.ts)');
    if (kind.augmenter !== 'negatives') {
      command.option('--min-face-size <pixels>', 'leave out faces smaller than this on their longer side', Number);
    }
    if (kind.augmenter === 'positives') {
      command.option('--mirror', 'also store each crop flipped left to right', false);
    }
    if (kind.augmenter === 'negatives') {
      command
        .option(
          '--windows-per-image <count>',
          'random windows drawn from each image',
          positiveInteger('--windows-per-image'),
        )
        .option('--seed <number>', 'seed of the window draws (default: the project seed)', Number);
    }
    command.action(async (options: BuildCommandOptions) => {
      await buildStoreCommand(kind, options);
    });
  }

  data
    .command('inspect')
    .description('Write a contact sheet PNG of random samples of a store, each with its label.')
    .argument('<store>', 'store folder, as printed by the build commands')
    .option('--output <file>', 'PNG file to write', 'contact-sheet.png')
    .option('--count <samples>', 'number of random samples', positiveInteger('--count'), DEFAULT_SHEET_SAMPLES)
    .option('--columns <count>', 'samples per row', positiveInteger('--columns'), DEFAULT_SHEET_COLUMNS)
    .option('--seed <number>', 'seed of the random pick', Number, 1)
    .action(async (dir: string, options: { output: string; count: number; columns: number; seed: number }) => {
      const store = await openSampleStore(path.resolve(dir));
      const output = path.resolve(options.output);
      const drawn = await writeContactSheet(store, output, options);
      const { manifest } = store;
      process.stderr.write(
        `${manifest.count} samples of ${manifest.size}x${manifest.size}, per label [${manifest.countsPerLabel.join(', ')}], from ${manifest.groupCount} images; drew ${drawn}\n`,
      );
      process.stdout.write(`${output}\n`);
    });
}

async function buildStoreCommand(kind: BuildKind, options: BuildCommandOptions): Promise<void> {
  const context = await dataCommandContext(options.cacheDir);
  const sourceSpecs = nameDuplicates([
    ...options.input.map((folder) => ({ type: kind.inputType, root: path.resolve(folder) })),
    ...options.source.map(parseSourceArgument),
  ]);
  if (sourceSpecs.length === 0) {
    throw new CascadeError(`cascade data ${kind.augmenter} needs at least one --input folder or --source type:path.`);
  }
  const augmenterSpec: PluginSpec = { type: kind.augmenter, size: options.size, ...kind.augmenterOptions(options) };

  const registry = context.registry;
  const issues = [
    ...sourceSpecs.flatMap((spec, index) => registry.validate('source', spec, `sources[${index}]`)),
    ...registry.validate('augmenter', augmenterSpec, 'augmenter'),
  ];
  if (issues.length > 0) {
    throw new CascadeError(
      `Invalid options:\n${issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n')}`,
    );
  }

  const sources = await Promise.all(sourceSpecs.map((spec) => createWith(context, 'source', spec)));
  const augmenter = await createWith(context, 'augmenter', augmenterSpec);
  const store = await buildSampleStore({
    sources,
    augmenters: [augmenter],
    cacheDir: context.runtime.cacheDir,
    logger: context.logger,
    key: { sources: sourceSpecs, augmenters: [augmenterSpec] },
  });
  process.stdout.write(`${store.dir}\n`);
}

/** Names the second and later sources of one type `<type>-2`, `<type>-3`, ..., so that store groups stay distinct. */
function nameDuplicates(specs: PluginSpec[]): PluginSpec[] {
  const seen = new Map<string, number>();
  return specs.map((spec) => {
    const count = (seen.get(spec.type) ?? 0) + 1;
    seen.set(spec.type, count);
    return count === 1 ? spec : { ...spec, name: `${spec.type}-${count}` };
  });
}

/** Parses `--source type:path`; the path may itself contain colons. */
function parseSourceArgument(value: string): PluginSpec {
  const separator = value.indexOf(':');
  if (separator <= 0 || separator === value.length - 1) {
    throw new CascadeError(`--source expects type:path, such as fddb:data/fddb; received "${value}".`);
  }
  return { type: value.slice(0, separator), root: path.resolve(value.slice(separator + 1)) };
}

interface DataCommandContext extends PluginContext {
  registry: PluginRegistry;
}

/**
 * Builds what plugins need outside an experiment: project defaults from cascade.config.ts (when
 * found from the working directory), a logger and a registry with the project's plugin modules.
 * NOTE: `config` carries only the project fields and empty data lists, because no experiment is loaded.
 */
async function dataCommandContext(cacheDir: string | undefined): Promise<DataCommandContext> {
  const project = await loadProjectConfig(process.cwd());
  const parsed = projectSchema.safeParse(project.config);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new CascadeError(`Invalid project config ${project.file ?? ''}:\n${issues}`);
  }
  const projectDir = project.file ? path.dirname(project.file) : process.cwd();
  const settings = parsed.data;
  const runtime: Runtime = {
    backend: settings.backend,
    seed: settings.seed,
    projectDir,
    dataRoot: path.resolve(projectDir, settings.dataRoot),
    cacheDir: cacheDir ? path.resolve(cacheDir) : path.resolve(projectDir, settings.cacheDir),
    runsDir: path.resolve(projectDir, settings.runsDir),
  };

  const registry = registerBuiltins(new PluginRegistry());
  await loadPluginModules(
    registry,
    settings.plugins.map((file) => path.resolve(projectDir, file)),
  );
  const config = { ...settings, name: 'data', data: { sources: [], augmenters: [] } } as unknown as ResolvedConfig;
  return {
    container: rootContainer.createChildContainer(),
    logger: new Logger({ level: settings.logLevel }),
    config,
    runtime,
    registry,
  };
}

function createWith<K extends PluginKind>(context: DataCommandContext, kind: K, spec: PluginSpec) {
  return context.registry.create(kind, spec, context);
}
