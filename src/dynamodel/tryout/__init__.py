"""`dynamodel try`: the design run live. A table is created on an embedded DynamoDB (moto in
process) or on an endpoint, sample items are written through the generated repository, and
every access pattern is called, with its requests, the items returned and the capacity
consumed recorded for the report.

- `backend.py`: where the table lives (embedded, an endpoint, or a real account);
- `recorder.py`: every request and response, through botocore's events;
- `arguments.py`: the arguments of each pattern, from the sample records;
- `runner.py`: generate and import the package, create, seed, run, clean up;
- `report.py`: the results as text or JSON.

Part of the command line, not of the runtime: it imports the compiler and, for the embedded
backend, moto.
"""
