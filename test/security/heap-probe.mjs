// Preloaded (`node --expose-gc --import tsx --import ./heap-probe.mjs src/main.ts`) into a
// service process by test/faults/service-harness.ts: on SIGUSR2 it runs a full garbage
// collection and writes the process's memory use to stderr as one `HEAP {...}` line, so a test
// can measure heap growth of the real process from outside. Test-only; nothing in src/ knows it.
process.on('SIGUSR2', () => {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
  const { heapUsed, heapTotal, rss, external } = process.memoryUsage();
  process.stderr.write(
    `HEAP ${JSON.stringify({ heapUsed, heapTotal, rss, external, gc: typeof globalThis.gc === 'function' })}\n`,
  );
});
