/** Commander option parser that collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Commander option parser for a positive integer, with the option name in the error. */
export function positiveInteger(name: string): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0) {
      throw new Error(`${name} must be a positive integer, received "${value}"`);
    }
    return parsed;
  };
}
