"""Token stores: where a client keeps its tokens, shared by every process that uses the store.

    from partner_api import PartnerClient
    from partner_api.stores import FileTokenStore

    client = PartnerClient(app_key="...", private_key="...", base_url="https://...",
                           token_store=FileTokenStore("/var/lib/myapp/partner-tokens.json"))

``MemoryTokenStore`` (the default) keeps tokens in this process, as the client always has;
``FileTokenStore`` shares them between processes on one host; ``RedisTokenStore`` between hosts.

The contract, for anyone writing a store or calling one:

- Keys. A ``StoreKey`` is a namespace (``namespace_for(app_key, base_url)``: a digest, so the
  app key never appears in a key name or file) and a session: ``StoreKey.client(ns)`` for the
  tokens that belong to the client system, ``StoreKey.user(ns, user_key)`` for one end user's.
  Stores keep one record per token kind, so saving a session's user token never overwrites the
  access token another process has just saved.
- ``load(key)`` reads the backend afresh (another process may have renewed); ``save(key, tokens,
  kinds)`` writes only ``kinds``. Both have async twins (``aload``, ``asave``); one store object
  serves ``PartnerClient`` and ``AsyncPartnerClient``, and the async side never blocks the loop.
- Single flight across processes. ``renewing(key, kind)`` (``arenewing`` for asyncio) holds the
  store's lock of one token. Inside it, the caller re-reads, renews only if the stored token is
  still the one it found unusable, and saves before releasing. ``renew_once`` (``arenew_once``)
  is that flow, one sans-IO plan with two drivers: with refresh-token rotation and reuse
  detection, no two processes ever present the same refresh token.
- Failures. A backend that cannot be read, written or locked raises ``TokenStoreError`` (a
  ``PartnerAPIError``); no renewal is attempted without the lock. A save that fails after the
  vendor issued new tokens keeps them: ``renew_once`` returns them (the caller uses them from
  memory) and the store writes them before its next operation.
- A stored record holds the tokens themselves: protect the file or the Redis database as you
  would a password store.
"""

from partner_api._errors import TokenStoreError
from partner_api.stores._base import StoreKey, TokenStore, namespace_for
from partner_api.stores._file import FileTokenStore
from partner_api.stores._flow import arenew_once, renew_once
from partner_api.stores._memory import MemoryTokenStore
from partner_api.stores._redis import RedisTokenStore

__all__ = [
    "FileTokenStore",
    "MemoryTokenStore",
    "RedisTokenStore",
    "StoreKey",
    "TokenStore",
    "TokenStoreError",
    "arenew_once",
    "namespace_for",
    "renew_once",
]
