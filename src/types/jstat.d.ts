// The part of jStat (https://github.com/jstat/jstat) Strata uses; the package ships no types.
declare module 'jstat' {
  interface Distribution {
    cdf(x: number, ...parameters: number[]): number;
    inv(p: number, ...parameters: number[]): number;
  }
  export interface JStat {
    betaln(a: number, b: number): number;
    gammaln(x: number): number;
    normal: Distribution;
    studentt: Distribution;
    chisquare: Distribution;
    centralF: Distribution;
  }
  const jstat: { jStat: JStat } & JStat;
  export default jstat;
}
