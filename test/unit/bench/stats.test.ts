import { expect } from 'chai';
import { latencyStats, percentile } from '../../../bench/stats.js';

describe('bench latency figures', () => {
  it('when percentiles are taken, then they are nearest-rank values of the series', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(s, 50)).to.equal(50);
    expect(percentile(s, 99)).to.equal(99);
    expect(percentile(s, 100)).to.equal(100);
    expect(percentile([7], 99)).to.equal(7);
    expect(percentile([], 50)).to.be.NaN;
  });

  it('when a series is summarised, then rate, p50, p99 and max come from its values and wall time', () => {
    const st = latencyStats([30, 10, 20, 40], 2000);
    expect(st).to.deep.equal({ n: 4, perSec: 2, p50ms: 20, p99ms: 40, maxms: 40 });
  });

  it('when a series is empty, then its figures are NaN rather than made up', () => {
    const st = latencyStats([], 1000);
    expect(st.n).to.equal(0);
    expect(st.p50ms).to.be.NaN;
    expect(st.maxms).to.be.NaN;
  });
});
