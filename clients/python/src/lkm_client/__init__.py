"""Python client for lkm (Local Kafka Manager).

    import lkm_client

    with lkm_client.connect() as lkm:          # 127.0.0.1:8000, token discovered
        cluster = lkm.create_cluster("dev", "tansu-dev")
        lkm.create_topic("dev", "orders", partitions=3)
        lkm.produce("dev", "orders", ["a", b"\\x00\\x01", {"total": 42}])
        for message in lkm.consume("dev", "orders"):
            print(message.partition, message.offset, message.value)

The generated messages and stubs are in :mod:`lkm_client.pb` (and :mod:`lkm_client.gen`).
"""

from . import pb
from ._auth import BearerTokenInterceptor, default_data_dir, discover_token
from .client import LkmClient, ProgressEvent, connect
from .errors import ClusterError, LkmError, OperationFailed, ProduceError
from .payload import Json, Message, Record

__version__ = "0.1.0"

__all__ = [
    "BearerTokenInterceptor",
    "ClusterError",
    "Json",
    "LkmClient",
    "LkmError",
    "Message",
    "OperationFailed",
    "ProduceError",
    "ProgressEvent",
    "Record",
    "connect",
    "default_data_dir",
    "discover_token",
    "pb",
]
