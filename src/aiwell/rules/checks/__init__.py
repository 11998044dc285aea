"""The logic of Python rules: one module per concern, each function decorated `@implements("<ID>", ...)`.

A Python rule's metadata and documentation are its entry in the YAML catalog (`check: python`); the registry
imports every module here whose name does not start with `_` and joins each function to its entries by id. One
function may implement several rules that apply one policy to several services. Modules starting with `_` hold
logic that several rules share.
"""
