"""Python rules: one module per rule, each with one function decorated by `aiwell.rules.rule`.

The registry imports every module here whose name does not start with `_`; modules starting with `_` hold
logic
that several rules share.
"""
