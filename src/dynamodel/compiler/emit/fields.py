"""Spec values spelled the way DynamoDB and CloudFormation spell them."""

from dynamodel.compiler.fields import STREAM_VIEWS

STREAM_VIEW: dict[str, str] = dict(STREAM_VIEWS)
