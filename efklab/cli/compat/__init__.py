"""``efklab compat``: will the pipeline survive the upgrade from one engine version to another?"""
