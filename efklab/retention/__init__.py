"""ISM retention: policy model and validation, actions, template attachment, job schedule, forecasts, explain."""
