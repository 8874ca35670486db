"""The checks of ``efklab doctor``, one module per area; :mod:`efklab.doctor.registry` registers them in one table.

Every check is a pure function ``(DoctorInputs) -> list[Finding]``.
"""
