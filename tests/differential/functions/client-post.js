// Replaces the seed's hand-signed https `post` with the OpenSearch JavaScript client, as users do.
var { Client } = require('@opensearch-project/opensearch');
var client = new Client({ node: 'https://' + endpoint });
function post(body, callback) {
  client.bulk({ body: body }).then(function (response) {
    var failedItems = response.body.items.filter(function (item) {
      var result = item.index || item.create;
      return result.status >= 300;
    });
    var error = failedItems.length > 0 ? { statusCode: response.statusCode, responseBody: response.body } : null;
    callback(error, { attemptedItems: response.body.items.length }, response.statusCode, failedItems);
  }, function (error) {
    callback(error);
  });
}
