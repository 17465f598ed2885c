/**
 * Nelder-Mead minimisation of a function of a few variables (the simplex method of Nelder
 * & Mead, 1965, with the usual coefficients: reflect 1, expand 2, contract 0.5, shrink 0.5).
 * Written here because the npm package that offers it (fmin) does not load as an ES module;
 * the models that use it have two or three parameters.
 */
export function nelderMead(
  f: (x: readonly number[]) => number,
  start: readonly number[],
  options: { step?: number; tolerance?: number; maxIterations?: number } = {},
): { x: number[]; fx: number } {
  const step = options.step ?? 0.5;
  const tolerance = options.tolerance ?? 1e-12;
  const maxIterations = options.maxIterations ?? 5000;
  const n = start.length;
  let simplex = [start, ...start.map((_, i) => start.map((v, j) => (i === j ? v + step : v)))].map((x) => ({
    x: [...x],
    fx: f(x),
  }));
  const along = (from: readonly number[], to: readonly number[], t: number) =>
    from.map((v, i) => v + t * ((to[i] ?? 0) - v));
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    simplex.sort((a, b) => a.fx - b.fx);
    const best = simplex[0] as { x: number[]; fx: number };
    const worst = simplex[n] as { x: number[]; fx: number };
    if (Math.abs(worst.fx - best.fx) <= tolerance * (Math.abs(best.fx) + tolerance)) break;
    const centroid = Array.from(
      { length: n },
      (_, j) => simplex.slice(0, n).reduce((s, p) => s + (p.x[j] ?? 0), 0) / n,
    );
    const reflected = along(centroid, worst.x, -1);
    const fr = f(reflected);
    const secondWorst = (simplex[n - 1] as { fx: number }).fx;
    if (fr < best.fx) {
      const expanded = along(centroid, worst.x, -2);
      const fe = f(expanded);
      simplex[n] = fe < fr ? { x: expanded, fx: fe } : { x: reflected, fx: fr };
    } else if (fr < secondWorst) {
      simplex[n] = { x: reflected, fx: fr };
    } else {
      // Contract towards the better of the worst point and its reflection.
      const outside = fr < worst.fx;
      const contracted = along(centroid, outside ? reflected : worst.x, 0.5);
      const fc = f(contracted);
      if (fc < (outside ? fr : worst.fx)) {
        simplex[n] = { x: contracted, fx: fc };
      } else {
        simplex = simplex.map((p, i) =>
          i === 0 ? p : { x: along(best.x, p.x, 0.5), fx: f(along(best.x, p.x, 0.5)) },
        );
      }
    }
  }
  simplex.sort((a, b) => a.fx - b.fx);
  const best = simplex[0] as { x: number[]; fx: number };
  return { x: best.x, fx: best.fx };
}
