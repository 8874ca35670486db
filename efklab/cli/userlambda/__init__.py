"""``efklab lambda``: run your own Node.js Lambda function offline and diff it against efklab's transform."""
