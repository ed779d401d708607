/**
 * Design matrices for the models: one row per observation, one named column per coefficient.
 * Categorical terms use treatment coding against a named reference level, as R and statsmodels
 * formulas do, so `band` with reference `moderate` becomes `band_high` and `band_extreme`.
 */

export interface Design {
  names: string[];
  rows: number[][];
}

export interface DesignColumn<Row> {
  name: string;
  value: (row: Row) => number;
}

export const INTERCEPT = 'intercept';

/** A numeric (often 0/1) column read from each row. */
export function numericColumn<Row>(name: string, value: (row: Row) => number): DesignColumn<Row> {
  return { name, value };
}

/** One 0/1 column per level other than the reference, named `<term>_<level>`. */
export function treatmentColumns<Row>(
  term: string,
  levelOf: (row: Row) => string,
  levels: readonly string[],
  reference: string,
): DesignColumn<Row>[] {
  if (!levels.includes(reference))
    throw new RangeError(`reference level ${reference} is not one of ${levels.join(', ')}`);
  return levels
    .filter((level) => level !== reference)
    .map((level) => ({ name: `${term}_${level}`, value: (row: Row) => (levelOf(row) === level ? 1 : 0) }));
}

/** The design matrix of `rows`, with a leading intercept column unless `intercept` is false. */
export function designMatrix<Row>(rows: readonly Row[], columns: DesignColumn<Row>[], intercept = true): Design {
  const names = [...(intercept ? [INTERCEPT] : []), ...columns.map((c) => c.name)];
  if (new Set(names).size !== names.length) throw new RangeError(`design column names repeat: ${names.join(', ')}`);
  return {
    names,
    rows: rows.map((row) => [
      ...(intercept ? [1] : []),
      ...columns.map((column) => {
        const value = column.value(row);
        if (!Number.isFinite(value)) throw new RangeError(`column ${column.name} has a non-finite value ${value}`);
        return value;
      }),
    ]),
  };
}

/** The same design without the named columns (the reduced model of a likelihood-ratio test). */
export function dropColumns(design: Design, drop: readonly string[]): Design {
  for (const name of drop) {
    if (!design.names.includes(name)) throw new RangeError(`no design column named ${name}`);
  }
  const keep = design.names.flatMap((name, i) => (drop.includes(name) ? [] : [i]));
  return {
    names: keep.map((i) => design.names[i] as string),
    rows: design.rows.map((row) => keep.map((i) => row[i] as number)),
  };
}
