"""The transport-agnostic request core shared by ``ApiClient`` and ``AsyncApiClient``.

Sans-I/O: :func:`~.flow.call_flow` is a generator that yields actions (a
:class:`~.request.PreparedRequest` to send, or a :class:`~.flow.Sleep`) and receives outcomes
(a :class:`~.flow.RawResponse` or a :class:`~..exceptions.NetworkException`). The sync and
async clients only drive it with their transport. Request building, signing, retries,
server-time resync, rate-limit headers and error mapping all live here, once.
"""
