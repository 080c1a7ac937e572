"""The botocore transport tuning: how the runtime's requests reach DynamoDB and how its
answers come back, cheaper than botocore's defaults and byte-for-byte the same.

- `client`: `default_client()`, the boto3 client of boto3's default session with the pieces
  below plugged in, `shared_client()`, the one repositories share, and `tune_client(client)`,
  the pieces plugged into a client of the user's;
- `hooks`: which event handlers the pieces would bypass, so that a request takes botocore's
  own path whenever someone else (X-Ray, Powertools, middleware) listens;
- `wire`: request bodies serialized once, in one `json.dumps`, and sent as they are;
- `signing`: SigV4 signatures equal to botocore's, at a quarter of the cost;
- `fastjson`: the response parser, and the CRC32 and whole-body checks of every response;
- `retry_layer`: which layer retries a call, botocore's or the runtime's, and how many HTTP
  requests it really sent.

Kept apart from the domain (keys, items, writes, paging, errors: the rest of
`dynamodel.runtime`) because the two change for different reasons. The domain decides which
request to send and what its answer means; this package only moves the bytes, through
botocore's public hooks (event handlers, the response parser factory, `Config` settings),
and follows botocore's releases. Every piece is optional: on a client `default_client` did
not build, botocore serializes, signs and parses as always and the domain works the same.
So either side can be read, tested (`tests/test_wire.py`, `tests/test_signing.py`,
`tests/test_fastjson.py`, `tests/test_retry_layer.py`) and replaced alone.

The dependency goes one way: the domain calls in here (`wire.send`, `wire.encode_body`,
`retry_layer`), and this package imports nothing of the domain but its errors
(`ResponseIntegrityError`) and its one decision of what is retryable (`retry.is_retryable`).
"""
