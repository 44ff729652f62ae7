"""Settings of the accruals service beyond the kit's (stub: receipt codes fill it in)."""


def load():
    return None
