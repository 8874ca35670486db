"""The notebook front end: tables and plots of job results, check verdicts, the papermill report runner and its page."""
