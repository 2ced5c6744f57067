/** Authentication of requests to the tracking server, read from MLflow's environment variables. */
export interface Credentials {
  /** Value of the `Authorization` header, if any credentials are set. */
  authorization?: string;
  /** Names of the variables that supplied the credentials, for messages that must not show the values. */
  source?: 'MLFLOW_TRACKING_TOKEN' | 'MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD';
  /** Secret strings that must never appear in logs, params or tags. */
  secrets: string[];
}

/**
 * Reads `MLFLOW_TRACKING_TOKEN` (bearer) or `MLFLOW_TRACKING_USERNAME` and `MLFLOW_TRACKING_PASSWORD`
 * (basic auth), in that order of precedence, as the MLflow Python client does.
 */
export function readCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const token = env.MLFLOW_TRACKING_TOKEN;
  if (token) {
    return { authorization: `Bearer ${token}`, source: 'MLFLOW_TRACKING_TOKEN', secrets: [token] };
  }
  const username = env.MLFLOW_TRACKING_USERNAME;
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (username && password) {
    const encoded = Buffer.from(`${username}:${password}`).toString('base64');
    return {
      authorization: `Basic ${encoded}`,
      source: 'MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD',
      secrets: [password, encoded],
    };
  }
  return { secrets: [] };
}

/** Replaces every occurrence of a secret in `text` with `***`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length > 0) {
      result = result.split(secret).join('***');
    }
  }
  return result;
}

/** Removes a user name and password written into a URI (`http://user:pass@host`), for logs and params. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.username === '' && url.password === '') {
      return uri;
    }
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return uri;
  }
}
