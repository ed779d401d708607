/**
 * The little dense linear algebra the models need (a handful of coefficients): products and the
 * inverse of a symmetric positive-definite matrix by Cholesky factorisation.
 */

export type Vector = number[];
export type Matrix = number[][];

export function zeros(rows: number, columns: number): Matrix {
  return Array.from({ length: rows }, () => new Array<number>(columns).fill(0));
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

export function matrixVector(m: Matrix, v: readonly number[]): Vector {
  return m.map((row) => dot(row, v));
}

export function matrixProduct(a: Matrix, b: Matrix): Matrix {
  const columns = b[0]?.length ?? 0;
  return a.map((row) =>
    Array.from({ length: columns }, (_, j) => row.reduce((sum, value, k) => sum + value * (b[k]?.[j] as number), 0)),
  );
}

/** m += scale * u v' (in place). */
export function addOuter(m: Matrix, u: readonly number[], v: readonly number[], scale = 1): void {
  for (let i = 0; i < u.length; i++) {
    const row = m[i] as number[];
    const ui = (u[i] as number) * scale;
    for (let j = 0; j < v.length; j++) row[j] = (row[j] as number) + ui * (v[j] as number);
  }
}

export function scaleMatrix(m: Matrix, scale: number): Matrix {
  return m.map((row) => row.map((value) => value * scale));
}

/**
 * Inverse of a symmetric positive-definite matrix, or null when it is not (numerically) positive
 * definite: a singular information matrix means the coefficients are not identified.
 */
export function invertSymmetricPositiveDefinite(m: Matrix): Matrix | null {
  const n = m.length;
  const lower = zeros(n, n);
  const scale = Math.max(...m.map((row, i) => Math.abs(row[i] as number)), Number.MIN_VALUE);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i]?.[j] as number;
      for (let k = 0; k < j; k++) sum -= (lower[i]?.[k] as number) * (lower[j]?.[k] as number);
      if (i === j) {
        if (!(sum > scale * 1e-13)) return null;
        (lower[i] as number[])[i] = Math.sqrt(sum);
      } else {
        (lower[i] as number[])[j] = sum / (lower[j]?.[j] as number);
      }
    }
  }
  // Invert the triangular factor, then m^-1 = L^-T L^-1.
  const lowerInverse = zeros(n, n);
  for (let i = 0; i < n; i++) {
    (lowerInverse[i] as number[])[i] = 1 / (lower[i]?.[i] as number);
    for (let j = 0; j < i; j++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum += (lower[i]?.[k] as number) * (lowerInverse[k]?.[j] as number);
      (lowerInverse[i] as number[])[j] = -sum / (lower[i]?.[i] as number);
    }
  }
  const inverse = zeros(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = i; k < n; k++) sum += (lowerInverse[k]?.[i] as number) * (lowerInverse[k]?.[j] as number);
      (inverse[i] as number[])[j] = sum;
      (inverse[j] as number[])[i] = sum;
    }
  }
  return inverse;
}
