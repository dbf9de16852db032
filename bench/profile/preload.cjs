// Bench-only: loaded into every Node process of the hub through NODE_OPTIONS=--require (Node 20
// refuses --cpu-prof there). Starts the V8 CPU profiler and the sampling heap profiler in this
// process and writes both when it exits: <BENCH_PROFILE_DIR>/cpu/<pid>.cpuprofile and
// heap/<pid>.heapprofile. A process killed with SIGKILL writes nothing.
'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_PROFILE_INTERVAL_US) || 1000 });
  session.post('Profiler.start');
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', { samplingInterval: 32768 });
  // The in-process session answers synchronously, so this completes inside the 'exit' handler.
  process.once('exit', () => {
    // Heap first, so the heap profile does not hold the CPU profile being serialised.
    session.post('HeapProfiler.stopSampling', (err, res) => {
      if (!err) fs.writeFileSync(path.join(dir, 'heap', `${process.pid}.heapprofile`), JSON.stringify(res.profile));
    });
    session.post('Profiler.stop', (err, res) => {
      if (!err) fs.writeFileSync(path.join(dir, 'cpu', `${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
