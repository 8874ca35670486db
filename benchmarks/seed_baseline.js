// The node baseline for benchmarks/bench_transform.py: the seed Lambda's own transform().
//
//   node seed_baseline.js SEED_MODULE PAYLOADS_FILE
//
// SEED_MODULE is the seed's code (cut from the seed document at run time, never stored in the
// project) followed by a line exporting its transform.  Per Lambda event line it does what the
// handler does before posting: base64 -> gunzip -> JSON.parse(buffer.toString('utf8')) ->
// transform(); the _bulk body is written to /dev/null.
// Prints {"events", "seconds", "cpu_seconds"} (CPU time of all the process's threads).
'use strict';

const fs = require('fs');
const zlib = require('zlib');

process.noDeprecation = true;
const seed = require(process.argv[2]);

const started = process.hrtime.bigint();
const cpuStarted = process.cpuUsage();
const text = fs.readFileSync(process.argv[3], 'utf8');
const sink = fs.openSync('/dev/null', 'w');
let events = 0;
for (const line of text.split('\n')) {
  if (!line) continue;
  const input = JSON.parse(line);
  const zipped = new Buffer(input.awslogs.data, 'base64');
  const awslogsData = JSON.parse(zlib.gunzipSync(zipped).toString('utf8'));
  const body = seed.transform(awslogsData);
  events += awslogsData.logEvents.length;
  if (body) fs.writeSync(sink, body);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuStarted);
process.stdout.write(JSON.stringify({ events, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
