/** Final state of a run, with MLflow's names. */
export type RunStatus = 'FINISHED' | 'FAILED' | 'KILLED';

export type ParamValue = string | number | boolean;

/** Run details that a tracker needs to open a run. */
export interface RunStart {
  experiment: string;
  runName: string;
  /** Local run directory (`runs/<experiment>/<run-id>`), where artifacts and spill files go. */
  runDir: string;
  tags?: Record<string, string>;
}

/** A dataset logged as a run input, as MLflow's log-inputs takes it. */
export interface DatasetInput {
  name: string;
  /** Content digest of the sample store. */
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
}

/**
 * Records runs: params, metrics per step, artifacts, inputs and the final status.
 * Several trackers run at once; a tracker that cannot reach its backend buffers and never stops training.
 */
export interface Tracker {
  readonly name: string;
  startRun(run: RunStart): Promise<void>;
  logParams(params: Record<string, ParamValue>): Promise<void>;
  setTags(tags: Record<string, string>): Promise<void>;
  /** Records metric values at a step; `timestampMs` defaults to now. */
  logMetrics(metrics: Record<string, number>, step: number, timestampMs?: number): void;
  logArtifact(localPath: string, artifactPath?: string): Promise<void>;
  logInput(input: DatasetInput): Promise<void>;
  /** Opens a nested run (MLflow's `mlflow.parentRunId`) for one stage of a multi-stage experiment. */
  startChild(run: RunStart): Promise<Tracker>;
  /**
   * Drops the metrics recorded after `step` where the backend allows it, because a run resumed from
   * the checkpoint of that step logs the later steps again.
   */
  rewind?(step: number): Promise<void>;
  /** Flushes buffered data and closes the run. */
  endRun(status: RunStatus): Promise<void>;
}
