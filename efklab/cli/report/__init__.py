"""``efklab report``: run the notebooks as a papermill report with one verdict per check."""
