"""The runtime that generated repositories import.

It depends on pydantic and boto3 only and never imports the compiler, YAML, typer or rich,
so that a Lambda importing a generated package starts fast.
"""
