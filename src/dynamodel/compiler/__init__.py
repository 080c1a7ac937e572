"""The spec compiler: parse -> check -> design -> emit, each a pure function.

Nothing here is imported by `dynamodel.runtime`; generated code never loads the compiler.
"""
