// A function for efklab's tests: old-style handler that forgets to call back or context.succeed.
'use strict';
exports.handler = function (event, context) {
  console.log('received', Object.keys(event));
};
