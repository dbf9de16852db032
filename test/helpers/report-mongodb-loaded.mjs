// Preloaded with `node --import` by the driver-loading test: when the process exits, it writes
// one line saying whether the MongoDB driver's code was loaded into it. The driver is a CommonJS
// package, so whoever imports it (statically or not) leaves its files in the require cache.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
process.on('exit', () => {
  const loaded = Object.keys(require.cache).some((file) => file.includes("/node_modules/mongodb/"));
  process.stderr.write(`\nmongodb-driver-loaded=${loaded}\n`);
});
