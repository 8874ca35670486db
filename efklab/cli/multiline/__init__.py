"""``efklab multiline group|diff|filters``: group container log lines exactly as fluent-plugin-concat does."""
