"""Report notebooks: the papermill runner, parameters, verdicts, the report page, secret scanning, plots."""
