// Preloaded (`node --import ./test/reports/peak-memory-probe.mjs ...`) into a service process by
// test/reports/large-pack.test.ts: samples the V8 heap in use every 5 ms and keeps its highest
// value; on SIGUSR2 it writes that peak, the heap limit and the process's peak resident memory
// (getrusage maxrss) to stderr as one `PEAK {...}` line, then starts the peak afresh. A heap peak
// reached inside one synchronous stretch longer than 5 ms is seen when that stretch ends, if the
// garbage has not been collected by then; the resident peak comes from the kernel and misses
// nothing. Test-only; nothing in src/ knows it.
import { getHeapStatistics } from 'node:v8';

let peakHeapUsed = 0;
const sample = () => {
  const used = getHeapStatistics().used_heap_size;
  if (used > peakHeapUsed) peakHeapUsed = used;
};
setInterval(sample, 5).unref();
process.on('SIGUSR2', () => {
  sample();
  const stats = getHeapStatistics();
  process.stderr.write(
    `PEAK ${JSON.stringify({
      peakHeapUsed,
      heapUsed: stats.used_heap_size,
      heapLimit: stats.heap_size_limit,
      rss: process.memoryUsage.rss(),
      maxRss: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
  peakHeapUsed = 0;
});
