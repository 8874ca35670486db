// efklab's Lambda harness: runs a user's Node.js handler on CloudWatch Logs events, offline.
//
//   node harness.js SPEC_FILE
//
// SPEC_FILE (JSON): {"module": "/abs/path/index.js", "export": "handler", "events": "/abs/events.jsonl",
//                    "results": "/abs/results.jsonl", "port": 40123, "timeoutMs": 3000,
//                    "functionName": "...", "memoryMb": 128}
//
// Every outgoing HTTP(S) request (http/https.request and .get, global fetch) is redirected to
// efklab's loopback capture server on `port`, with the host it was meant for in x-efklab-host and
// the invocation it belongs to in x-efklab-event; nothing leaves the machine.  One JSON line per
// invocation is appended to the results file (stdout and stderr belong to the user's code):
//   {"event": i, "outcome": "ok"|"error"|"timeout"|"no-callback", "result": ..., "error": "...",
//    "stack": "...", "ms": 12}
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');
const { pathToFileURL } = require('url');

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const LOOPBACK = '127.0.0.1';
let current = -1; // the invocation whose requests are in flight

const originalHttpRequest = http.request;

function splitArgs(args) {
  // (options[, cb]) | (url[, options][, cb]) as node accepts them
  let url = null;
  let options = {};
  let callback;
  let rest = args;
  if (typeof rest[0] === 'string' || rest[0] instanceof URL) {
    url = new URL(String(rest[0]));
    rest = rest.slice(1);
  }
  if (rest[0] && typeof rest[0] === 'object') {
    options = rest[0];
    rest = rest.slice(1);
  }
  if (typeof rest[0] === 'function') callback = rest[0];
  return { url, options, callback };
}

function redirect(defaultProtocol) {
  return function request(...args) {
    const { url, options, callback } = splitArgs(args);
    const protocol = options.protocol || (url && url.protocol) || defaultProtocol;
    const host = options.hostname || options.host || (url && url.hostname) || 'localhost';
    const port = options.port || (url && url.port) || '';
    const pathPart = options.path || (url ? url.pathname + url.search : '/');
    if (host === LOOPBACK && Number(port) === spec.port) return originalHttpRequest(...args);
    const headers = Object.assign({}, options.headers || {});
    headers['x-efklab-host'] = `${protocol}//${host}${port ? ':' + port : ''}`;
    headers['x-efklab-event'] = String(current);
    const target = Object.assign({}, options, {
      protocol: 'http:', hostname: LOOPBACK, host: LOOPBACK, port: spec.port, path: pathPart, headers,
      agent: false,
    });
    delete target.ca; delete target.cert; delete target.key; delete target.rejectUnauthorized;
    delete target.servername; delete target.createConnection; delete target.lookup; delete target.socketPath;
    return callback ? originalHttpRequest(target, callback) : originalHttpRequest(target);
  };
}

function redirectGet(requestFn) {
  return function get(...args) {
    const req = requestFn(...args);
    req.end();
    return req;
  };
}

http.request = redirect('http:');
https.request = redirect('https:');
http.get = redirectGet(http.request);
https.get = redirectGet(https.request);

if (typeof globalThis.fetch === 'function') {
  const originalFetch = globalThis.fetch;
  globalThis.fetch = function fetch(input, init) {
    const source = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
    const target = `http://${LOOPBACK}:${spec.port}${source.pathname}${source.search}`;
    const headers = new Headers((init && init.headers) || (typeof input === 'object' && input.headers) || {});
    headers.set('x-efklab-host', `${source.protocol}//${source.host}`);
    headers.set('x-efklab-event', String(current));
    return originalFetch(target, Object.assign({}, init || {}, { headers }));
  };
}

function record(line) {
  fs.appendFileSync(spec.results, JSON.stringify(line) + '\n');
}

function describe(error) {
  if (error instanceof Error) return { error: `${error.name}: ${error.message}`, stack: error.stack || '' };
  let text;
  try { text = typeof error === 'string' ? error : JSON.stringify(error); } catch (_) { text = String(error); }
  return { error: text === undefined ? String(error) : text, stack: '' };
}

let settle = null; // resolves the invocation in progress
process.on('uncaughtException', (error) => {
  if (settle) settle(Object.assign({ outcome: 'error', uncaught: true }, describe(error)));
  else { process.stderr.write(`efklab harness: uncaught outside an invocation: ${describe(error).error}\n`); }
});
process.on('unhandledRejection', (error) => {
  if (settle) settle(Object.assign({ outcome: 'error', uncaught: true }, describe(error)));
});

function invoke(handler, event, index) {
  return new Promise((resolve) => {
    const started = Date.now();
    const deadline = started + spec.timeoutMs;
    let done = false;
    let returned = false;
    const finish = (answer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      settle = null;
      resolve(Object.assign({ event: index, ms: Date.now() - started }, answer));
    };
    settle = finish;
    const timer = setTimeout(() => {
      finish(returned
        ? { outcome: 'no-callback', error: `the handler returned without calling back or settling a promise within ${spec.timeoutMs} ms` }
        : { outcome: 'timeout', error: `Task timed out after ${(spec.timeoutMs / 1000).toFixed(2)} seconds` });
    }, spec.timeoutMs);
    const callback = (error, result) => {
      if (error !== null && error !== undefined) finish(Object.assign({ outcome: 'error' }, describe(error)));
      else finish({ outcome: 'ok', result: result === undefined ? null : result });
    };
    const context = {
      functionName: spec.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${spec.functionName}`,
      memoryLimitInMB: String(spec.memoryMb),
      awsRequestId: `efklab-${index}`,
      logGroupName: `/aws/lambda/${spec.functionName}`,
      logStreamName: 'efklab',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      succeed: (result) => callback(null, result),
      fail: (error) => callback(error === undefined || error === null ? new Error('context.fail()') : error),
      done: (error, result) => callback(error, result),
    };
    current = index;
    let answer;
    try {
      answer = handler(event, context, callback);
    } catch (error) {
      finish(Object.assign({ outcome: 'error' }, describe(error)));
      return;
    }
    returned = true;
    if (answer && typeof answer.then === 'function') {
      answer.then((result) => callback(null, result), (error) => finish(Object.assign({ outcome: 'error' }, describe(error === undefined ? new Error('rejected') : error))));
    }
  });
}

async function main() {
  let handler;
  try {
    const loaded = await import(pathToFileURL(path.resolve(spec.module)).href);
    handler = loaded[spec.export];
    if (typeof handler !== 'function' && loaded.default) handler = loaded.default[spec.export];
    if (typeof handler !== 'function') throw new Error(`${spec.module} does not export a function named ${spec.export}`);
  } catch (error) {
    record(Object.assign({ event: -1, outcome: 'load-error' }, describe(error)));
    return;
  }
  const events = fs.readFileSync(spec.events, 'utf8').split('\n').filter((line) => line);
  for (let i = 0; i < events.length; i += 1) {
    record(await invoke(handler, JSON.parse(events[i]), i));
  }
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`efklab harness failed: ${describe(error).error}\n`);
  process.exit(3);
});
