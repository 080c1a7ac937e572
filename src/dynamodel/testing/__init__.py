"""`dynamodel.testing`: a pytest plugin giving each test a fresh table of the user's generated
package, on embedded moto by default, on any DynamoDB endpoint (MiniStack, moto_server,
DynamoDB Local) with `--dynamodel-endpoint`, or on a real AWS stage only with `--dynamodel-aws
--dynamodel-stage STAGE`; seeded with the spec's sample data on request, deleted afterwards.

Registered as the `pytest11` entry point `dynamodel` of the `dynamodel` distribution (the
compiler's, not `dynamodel-runtime`, so it never ships in a Lambda bundle). See
docs/testing.md.

- `settings.py`: the options, resolved and checked (standard library only);
- `backend.py`: the client and the test's environment per backend (moto, endpoint, AWS);
- `tables.py`: `TableFactory` and `DynamodelTable`: create, name, seed, delete;
- `seeding.py`: the spec's sample data through the generated repository (uses the compiler);
- `plugin.py`: the pytest hooks and fixtures;
- `errors.py`: the errors that fail a test with their message.
"""

from __future__ import annotations

from dynamodel.testing.errors import DynamodelTestingError
from dynamodel.testing.settings import Backend, Project
from dynamodel.testing.tables import DynamodelTable, TableFactory

__all__ = ["Backend", "DynamodelTable", "DynamodelTestingError", "Project", "TableFactory"]
