// Request and response shapes of MLflow's REST API (`/api/2.0/mlflow/...`), as MLflow 3.17 serves
// them. Numbers that MLflow stores as int64 arrive as JSON numbers; a NaN or infinite metric value
// arrives as the string "NaN", "Infinity" or "-Infinity".

export interface KeyValue {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage: 'active' | 'deleted';
}

export interface RunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  user_id?: string;
  status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage?: string;
}

/** A metric value as MLflow sends it back. */
export type MetricValue = number | 'NaN' | 'Infinity' | '-Infinity';

export interface Metric {
  key: string;
  value: MetricValue;
  /** Integer milliseconds since the Unix epoch. */
  timestamp: number;
  step: number;
}

export interface DatasetInputMessage {
  tags?: KeyValue[];
  dataset: {
    name: string;
    digest: string;
    source_type: string;
    source: string;
    schema?: string;
    profile?: string;
  };
}

export interface Run {
  info: RunInfo;
  data: {
    metrics?: Metric[];
    params?: KeyValue[];
    tags?: KeyValue[];
  };
  inputs?: {
    dataset_inputs?: DatasetInputMessage[];
  };
}

export interface SearchRunsRequest {
  experiment_ids: string[];
  filter?: string;
  max_results?: number;
  order_by?: string[];
  page_token?: string;
}

export interface SearchRunsResponse {
  runs?: Run[];
  next_page_token?: string;
}

/** The body of an MLflow error response. */
export interface ErrorBody {
  error_code?: string;
  message?: string;
}
