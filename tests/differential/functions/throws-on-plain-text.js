// A function for efklab's tests: it parses every log message as JSON and throws on the first one that is not.
'use strict';
const zlib = require('zlib');

exports.handler = async (event) => {
  const payload = JSON.parse(zlib.gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8'));
  if (payload.messageType === 'CONTROL_MESSAGE') return 'control';
  const documents = payload.logEvents.map((logEvent) => parseMessage(logEvent.message));
  return { documents: documents.length };
};

function parseMessage(message) {
  return JSON.parse(message);
}
