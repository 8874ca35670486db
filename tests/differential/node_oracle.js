// The oracle for efklab's differential tests: JavaScript itself, and the seed Lambda's own code.
//
//   node node_oracle.js [SEED_CODE_FILE]
//
// Reads one JSON request per line on stdin and writes one JSON answer per line on stdout, in
// order.  The seed code (extracted from the seed document by the tests, never stored in the
// project) runs unmodified in a vm context: `https` is a stub that captures the _bulk body the
// handler posts, `zlib.gunzip` calls back synchronously so a throw reaches us, `console` is quiet.
'use strict';

const fs = require('fs');
const vm = require('vm');
const zlib = require('zlib');
const crypto = require('crypto');
const readline = require('readline');

process.noDeprecation = true; // the seed uses `new Buffer(...)`

let seed = null;
let captured = null;

if (process.argv[2]) {
  const https = {
    request(params, onResponse) {
      const handlers = {};
      const response = {
        statusCode: 200,
        on(name, fn) { handlers[name] = fn; return response; },
      };
      return {
        on() { return this; },
        end(body) {
          captured = body;
          onResponse(response);
          if (handlers.data) handlers.data('{"took":1,"errors":false,"items":[]}');
          if (handlers.end) handlers.end();
        },
      };
    },
  };
  const syncZlib = {
    gunzip(buffer, callback) {
      let out;
      try { out = zlib.gunzipSync(buffer); } catch (error) { callback(error); return; }
      callback(null, out);
    },
  };
  const modules = { https, zlib: syncZlib, crypto };
  seed = {
    require: (name) => modules[name],
    exports: {},
    Buffer,
    console: { log() {} },
    process: { env: { AWS_ACCESS_KEY_ID: 'AKIDEFKLABTEST', AWS_SECRET_ACCESS_KEY: 'not-a-secret', AWS_SESSION_TOKEN: 'none' } },
  };
  vm.createContext(seed);
  vm.runInContext(fs.readFileSync(process.argv[2], 'utf8'), seed, { filename: 'seed-lambda.js' });
  vm.runInContext("endpoint = 'search-efklab-oracle.us-east-1.es.amazonaws.com'", seed);
}

function isNumeric(n) { return !isNaN(parseFloat(n)) && isFinite(n); }

function runHandler(event) {
  captured = null;
  let outcome = null;
  const context = {
    succeed(message) { outcome = { ok: true, message }; },
    fail(error) { outcome = { ok: false, error: String(error) }; },
  };
  seed.exports.handler(event, context);
  if (!outcome) throw new Error('handler did not finish synchronously');
  return { ok: outcome.ok, body: captured, error: outcome.error };
}

const ops = {
  handler(req) { return runHandler(req.event); },
  transform(req) { return { ok: true, body: seed.transform(JSON.parse(req.payload)) }; },
  number(req) { return { values: req.values.map((s) => JSON.stringify(Number(s))) }; },
  numeric(req) { return { values: req.values.map((v) => [isNumeric(v), JSON.stringify(isNumeric(v) ? 1 * v : v)]) }; },
  date(req) {
    return {
      values: req.values.map((v) => {
        const d = new Date(1 * v);
        try { return [d.toISOString(), d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]; } catch (e) { return null; }
      }),
    };
  },
  roundtrip(req) {
    return { values: req.values.map((t) => { try { return JSON.stringify(JSON.parse(t)); } catch (e) { return null; } }) };
  },
  lower(req) { return { values: req.values.map((s) => s.toLowerCase()) }; },
};

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  let answer;
  try {
    const req = JSON.parse(line);
    if ((req.op === 'handler' || req.op === 'transform') && !seed) throw new Error('no seed code loaded');
    answer = ops[req.op](req);
  } catch (error) {
    answer = { ok: false, threw: true, error: String(error && error.stack ? error.stack.split('\n')[0] : error) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
});
