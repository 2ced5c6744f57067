/**
 * Maximum-weight assignment of rows to columns (Kuhn-Munkres, O(n^3) with potentials).
 * `weights[row][column]` may be rectangular; each row and each column is used at most once.
 * Returns, for each row, the assigned column or -1 when the row has no column.
 */
export function maxWeightAssignment(weights: readonly (readonly number[])[]): number[] {
  const rows = weights.length;
  const columns = rows > 0 ? (weights[0]?.length ?? 0) : 0;
  if (rows === 0 || columns === 0) {
    return new Array<number>(rows).fill(-1);
  }

  // The solver below needs rows <= columns, so a tall matrix is solved transposed.
  const transposed = rows > columns;
  const n = transposed ? columns : rows;
  const m = transposed ? rows : columns;
  let maxWeight = 0;
  for (const row of weights) {
    for (const value of row) {
      maxWeight = Math.max(maxWeight, value);
    }
  }
  const cost = (i: number, j: number): number => maxWeight - ((transposed ? weights[j]?.[i] : weights[i]?.[j]) ?? 0);

  // Shortest augmenting paths with row potentials u and column potentials v, 1-based as in the
  // textbook form of the algorithm; column 0 is a virtual column.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const matchOfColumn = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i += 1) {
    matchOfColumn[0] = i;
    let column = 0;
    const minSlack = new Float64Array(m + 1).fill(Number.POSITIVE_INFINITY);
    const used = new Uint8Array(m + 1);
    do {
      used[column] = 1;
      const row = matchOfColumn[column] as number;
      let delta = Number.POSITIVE_INFINITY;
      let next = 0;
      for (let j = 1; j <= m; j += 1) {
        if (used[j]) {
          continue;
        }
        const slack = cost(row - 1, j - 1) - (u[row] as number) - (v[j] as number);
        if (slack < (minSlack[j] as number)) {
          minSlack[j] = slack;
          way[j] = column;
        }
        if ((minSlack[j] as number) < delta) {
          delta = minSlack[j] as number;
          next = j;
        }
      }
      for (let j = 0; j <= m; j += 1) {
        if (used[j]) {
          u[matchOfColumn[j] as number] = (u[matchOfColumn[j] as number] as number) + delta;
          v[j] = (v[j] as number) - delta;
        } else {
          minSlack[j] = (minSlack[j] as number) - delta;
        }
      }
      column = next;
    } while (matchOfColumn[column] !== 0);
    do {
      const previous = way[column] as number;
      matchOfColumn[column] = matchOfColumn[previous] as number;
      column = previous;
    } while (column !== 0);
  }

  const assignment = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= m; j += 1) {
    const i = matchOfColumn[j] as number;
    if (i === 0) {
      continue;
    }
    if (transposed) {
      assignment[j - 1] = i - 1;
    } else {
      assignment[i - 1] = j - 1;
    }
  }
  return assignment;
}
