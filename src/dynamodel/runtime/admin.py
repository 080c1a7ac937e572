"""Creating the table (for tests and local use).

`default_client` lives with the rest of the transport tuning
(`dynamodel.runtime.transport.client`); it is imported here too because
`dynamodel.runtime.admin.default_client` and `tune_client` are the paths the documentation
gives users.
"""

from __future__ import annotations

from typing import Any

from dynamodel.runtime.table import Table
from dynamodel.runtime.transport.client import default_client as default_client
from dynamodel.runtime.transport.client import tune_client as tune_client


def create_table(
    table: Table, definition: dict[str, Any], *, ttl_attribute: str | None = None
) -> None:
    """Create the table as designed, wait until it is active, and turn TTL on."""
    table.client.create_table(TableName=table.name, **definition)
    table.client.get_waiter("table_exists").wait(
        TableName=table.name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    if ttl_attribute:
        table.client.update_time_to_live(
            TableName=table.name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
        )
