/** An error meant for the person running cascade: its message states what failed and what to do. */
export class CascadeError extends Error {
  override name = 'CascadeError';
}

/** Formats an error and its `cause` chain as indented lines, outermost first. */
export function formatErrorChain(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  let depth = 0;
  while (current !== undefined && current !== null && depth < 10) {
    const message = current instanceof Error ? current.message : String(current);
    lines.push(`${'  '.repeat(depth)}${depth === 0 ? '' : 'caused by: '}${message}`);
    current = current instanceof Error ? current.cause : undefined;
    depth += 1;
  }
  return lines.join('\n');
}
