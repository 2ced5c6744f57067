/**
 * Option types of the registered plugins, by `type` name. Each plugin module adds its entry by
 * module augmentation, so that `defineExperiment` type-checks `{ type: 'fddb', folds: [1] }`:
 *
 *   declare module '../../core/config/plugin-types.js' {
 *     interface SourceTypes { fddb: FddbOptions }
 *   }
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation.
export interface SourceTypes {}
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation.
export interface AugmenterTypes {}
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation.
export interface ModelTypes {}
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation.
export interface OptimizerTypes {}
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation.
export interface TrackerTypes {}

type SpecOf<Types> = { [K in keyof Types]: { type: K } & Types[K] }[keyof Types];

export type SourceSpec = SpecOf<SourceTypes>;
export type AugmenterSpec = SpecOf<AugmenterTypes>;
export type ModelSpec = SpecOf<ModelTypes>;
export type OptimizerSpec = SpecOf<OptimizerTypes>;
export type TrackerSpec = SpecOf<TrackerTypes>;
